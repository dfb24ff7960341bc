// The Gemma 3 270M reference: llama.cpp's greedy continuation of each prompt, with the top-10
// logits at the last prompt position and at every generated step (their top-two margin tells the
// test where a near-tie lets rounding flip the choice legitimately).
//
// Built against a llama.cpp build (not part of this repository), e.g. the one vendored by the
// PyPI sdist llama-cpp-python==0.3.36:
//   L=.../vendor/llama.cpp
//   cc -O2 -I$L/include -I$L/ggml/include make_reference.c -L$L/build/bin -lllama -lggml -lggml-base \
//      -Wl,-rpath,$L/build/bin -o make_reference
//   ./make_reference gemma-3-270m-q4_k_m.gguf prompts.json > gemma3-270m-q4_k_m.ref.json
// prompts.json: a JSON array of strings, escapes \", \\ and \n only (read naively below).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "llama.h"

enum { STEPS = 32, TOP = 10, MAX_PROMPTS = 16, MAX_IDS = 512 };

static void top_k(const float *logits, int n, int *ids, float *values) {
    for (int k = 0; k < TOP; k++) { ids[k] = -1; values[k] = -1e30f; }
    for (int i = 0; i < n; i++) {
        if (logits[i] <= values[TOP - 1]) continue;
        int k = TOP - 1;
        while (k > 0 && values[k - 1] < logits[i]) { values[k] = values[k - 1]; ids[k] = ids[k - 1]; k--; }
        values[k] = logits[i]; ids[k] = i;
    }
}

static void print_top(const float *logits, int n) {
    int ids[TOP]; float values[TOP];
    top_k(logits, n, ids, values);
    printf("[");
    for (int k = 0; k < TOP; k++) printf("%s[%d, %.5f]", k ? ", " : "", ids[k], values[k]);
    printf("]");
}

static void print_json_string(const char *s) {
    putchar('"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') printf("\\%c", *s);
        else if ((unsigned char)*s < 0x20) printf("\\u%04x", *s);
        else putchar(*s);
    }
    putchar('"');
}

// The strings of a flat JSON array: "…", "…" (\", \\ and \n only).
static int read_prompts(const char *path, char **prompts) {
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); exit(1); }
    static char text[1 << 16];
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = 0; fclose(f);
    int count = 0;
    for (char *p = text; *p && count < MAX_PROMPTS; p++) {
        if (*p != '"') continue;
        char *out = malloc(strlen(p) + 1), *o = out;
        for (p++; *p && *p != '"'; p++) {
            if (*p == '\\') { p++; *o++ = *p == 'n' ? '\n' : *p; } else *o++ = *p;
        }
        *o = 0; prompts[count++] = out;
    }
    return count;
}

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: %s MODEL.gguf PROMPTS.json\n", argv[0]); return 2; }
    char *prompts[MAX_PROMPTS];
    int prompt_count = read_prompts(argv[2], prompts);

    llama_backend_init();
    struct llama_model *model = llama_model_load_from_file(argv[1], llama_model_default_params());
    if (!model) { fprintf(stderr, "cannot load %s\n", argv[1]); return 1; }
    const struct llama_vocab *vocab = llama_model_get_vocab(model);
    int n_vocab = llama_vocab_n_tokens(vocab);

    printf("{\"model\": \"%s\", \"reference\": \"llama.cpp (llama-cpp-python 0.3.36 sdist), default context parameters, greedy\",\n \"cases\": [\n", strrchr(argv[1], '/') ? strrchr(argv[1], '/') + 1 : argv[1]);
    for (int c = 0; c < prompt_count; c++) {
        struct llama_context_params params = llama_context_default_params();
        params.n_ctx = 512; params.n_threads = 2; params.n_threads_batch = 2;
        struct llama_context *ctx = llama_init_from_model(model, params);
        llama_token ids[MAX_IDS];
        int n = llama_tokenize(vocab, prompts[c], strlen(prompts[c]), ids, MAX_IDS, true, true);  // BOS, and the chat template's markers
        if (n < 0) { fprintf(stderr, "prompt too long\n"); return 1; }

        printf("  {\"prompt\": "); print_json_string(prompts[c]);
        printf(", \"ids\": [");
        for (int i = 0; i < n; i++) printf("%s%d", i ? ", " : "", ids[i]);
        printf("],\n   \"top\": [");
        if (llama_decode(ctx, llama_batch_get_one(ids, n))) { fprintf(stderr, "decode failed\n"); return 1; }
        int greedy[STEPS];
        for (int step = 0; step < STEPS; step++) {
            const float *logits = llama_get_logits_ith(ctx, -1);
            int best[TOP]; float values[TOP];
            top_k(logits, n_vocab, best, values);
            if (step) printf(",\n           ");
            print_top(logits, n_vocab);
            greedy[step] = best[0];
            llama_token next = best[0];
            if (llama_decode(ctx, llama_batch_get_one(&next, 1))) { fprintf(stderr, "decode failed\n"); return 1; }
        }
        printf("],\n   \"greedy\": [");
        for (int step = 0; step < STEPS; step++) printf("%s%d", step ? ", " : "", greedy[step]);
        printf("]}%s\n", c + 1 < prompt_count ? "," : "");
        llama_free(ctx);
    }
    printf(" ]}\n");
    llama_model_free(model);
    return 0;
}
