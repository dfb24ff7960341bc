import Foundation
import Transformer

/// The languages `loupe inspect`, `loupe report` and the glass-box page speak.
public enum Language: String, Sendable, Codable, CaseIterable {
    case en, fr

    /// `en`, `fr`, `fr_FR.UTF-8`, `French`…; nil for a language Loupe does not speak.
    public init?(code: String) {
        let lower = code.lowercased()
        if lower.hasPrefix("fr") { self = .fr } else if lower.hasPrefix("en") || lower == "c" || lower == "posix" { self = .en } else { return nil }
    }

    /// The language of the environment: `LC_ALL`, then `LC_MESSAGES`, then `LANG` (POSIX's order);
    /// English unless the first one set starts with `fr`.
    public static func from(environment: [String: String]) -> Language {
        for key in ["LC_ALL", "LC_MESSAGES", "LANG"] {
            if let value = environment[key], !value.isEmpty { return value.lowercased().hasPrefix("fr") ? .fr : .en }
        }
        return .en
    }

    /// The table of this language.
    public var strings: Strings { self == .fr ? .french : .english }
}

/// Every sentence Loupe shows a student, one table per language: the lecture's explanation of
/// each step of the forward pass, the REPL's help and messages, the report's headings, and the
/// glass-box page's labels (`page`). The French words are those of docs/lecture.fr.md.
///
/// Logic never tests the language: it picks the table (`language.strings`) and reads a field.
public struct Strings: Sendable {
    /// The lecture's one-line explanation of each kind of step, keyed by the hook kind
    /// (`embed`, `resid_pre`, …: `HookPoint.kind`).
    public let lecture: [String: String]
    /// The `loupe inspect` command list.
    public let help: String
    /// REPL messages; `%@`/`%d` are filled with `String(format:)`.
    public let tokensRecorded: String        // "%d steps"
    public let forwardDone: String
    public let nextToken: String             // "next token: {0} (#{1}, p = {2})"
    public let candidates: String            // "{0} candidates"
    public let ablated: String               // "ablated: %@"
    public let restored: String
    public let nothingAblated: String
    public let beforeAfter: (before: String, after: String)
    public let lensHeading: String
    public let noPrompt: String
    /// `loupe report`'s headings and notes.
    public let report: [String: String]
    /// The page's labels and explanations, by key (sent to the page as JSON).
    public let page: [String: String]

    /// `template` with `{0}`, `{1}`… replaced by `values`.
    public static func fill(_ template: String, _ values: Any...) -> String {
        var text = template
        for (i, value) in values.enumerated() { text = text.replacingOccurrences(of: "{\(i)}", with: "\(value)") }
        return text
    }

    /// The explanation of the step that produced `point`'s activation.
    public func lecture(_ point: HookPoint) -> String { lecture[point.kind] ?? point.name }
}

extension HookPoint {
    /// The kind of step, without its block: `pattern` for `blocks.3.attn.hook_pattern`.
    public var kind: String {
        switch self {
        case .embed: "embed"
        case .residPre: "resid_pre"
        case .ln1Scale: "ln1_scale"
        case .ln1Normalized: "ln1_normalized"
        case .q: "q"
        case .k: "k"
        case .v: "v"
        case .qNormScale: "q_norm_scale"
        case .qNormNormalized: "q_norm_normalized"
        case .kNormScale: "k_norm_scale"
        case .kNormNormalized: "k_norm_normalized"
        case .rotQ: "rot_q"
        case .rotK: "rot_k"
        case .attnScores: "attn_scores"
        case .pattern: "pattern"
        case .z: "z"
        case .ln1PostScale: "ln1_post_scale"
        case .ln1PostNormalized: "ln1_post_normalized"
        case .attnOut: "attn_out"
        case .residMid: "resid_mid"
        case .ln2Scale: "ln2_scale"
        case .ln2Normalized: "ln2_normalized"
        case .mlpPre: "mlp_pre"
        case .mlpPreLinear: "mlp_pre_linear"
        case .mlpPost: "mlp_post"
        case .ln2PostScale: "ln2_post_scale"
        case .ln2PostNormalized: "ln2_post_normalized"
        case .mlpOut: "mlp_out"
        case .residPost: "resid_post"
        case .lnFinalScale: "ln_final_scale"
        case .lnFinalNormalized: "ln_final_normalized"
        case .logits: "logits"
        }
    }
}

extension Strings {
    /// English.
    public static let english = Strings(
        lecture: [
            "q_norm_scale": "RMSNorm of each query head (Qwen 3, Gemma 3), the divisor per head and token",
            "q_norm_normalized": "RMSNorm of each query head: q / √(mean(q²)+ε) (then · γ), before RoPE",
            "k_norm_scale": "RMSNorm of each key head, the divisor per head and token",
            "k_norm_normalized": "RMSNorm of each key head: k / √(mean(k²)+ε) (then · γ), before RoPE",
            "ln1_post_scale": "RMSNorm after attention (Gemma), the divisor per token",
            "ln1_post_normalized": "RMSNorm after attention (Gemma): out / √(mean(out²)+ε) (then · γ)",
            "ln2_post_scale": "RMSNorm after the MLP (Gemma), the divisor per token",
            "ln2_post_normalized": "RMSNorm after the MLP (Gemma): out / √(mean(out²)+ε) (then · γ)",
            "embed": "Embedding: x = W_E[token], one row of the embedding matrix per token",
            "resid_pre": "Residual stream entering the block: x",
            "ln1_scale": "RMSNorm before attention, the divisor: √(mean(x²)+ε) per token",
            "ln1_normalized": "RMSNorm before attention: x / √(mean(x²)+ε) (then · γ)",
            "q": "Queries: q = norm(x)·W_Qᵀ, split into heads",
            "k": "Keys: k = norm(x)·W_Kᵀ, one per key/value head (grouped-query attention)",
            "v": "Values: v = norm(x)·W_Vᵀ, one per key/value head",
            "rot_q": "RoPE on the queries: each pair of dimensions turned by position · θ_i",
            "rot_k": "RoPE on the keys (stored in the KV cache after this)",
            "attn_scores": "Attention scores: q·k / √d_head, −∞ on future tokens (causal mask) and outside a sliding window",
            "pattern": "Attention pattern: softmax of the scores over the keys; each row sums to 1",
            "z": "Weighted sum of values per head: z = Σ_p pattern[p] · v_p",
            "attn_out": "Attention output: z·W_Oᵀ, the heads mixed back to the residual width",
            "resid_mid": "Residual connection: x ← x + attention(x)",
            "ln2_scale": "RMSNorm before the MLP, the divisor: √(mean(x²)+ε) per token",
            "ln2_normalized": "RMSNorm before the MLP: x / √(mean(x²)+ε) (then · γ)",
            "mlp_pre": "MLP gate: norm(x)·W_gateᵀ (goes through SiLU, or GELU for Gemma)",
            "mlp_pre_linear": "MLP up: norm(x)·W_upᵀ (the linear branch)",
            "mlp_post": "SwiGLU: SiLU(gate) ⊙ up, SiLU(g) = g·σ(g)",
            "mlp_out": "MLP output: (SiLU(gate) ⊙ up)·W_downᵀ",
            "resid_post": "Residual connection: x ← x + MLP(x), the block's output",
            "ln_final_scale": "Final RMSNorm, the divisor: √(mean(x²)+ε)",
            "ln_final_normalized": "Final RMSNorm: x / √(mean(x²)+ε) (then · γ)",
            "logits": "Unembedding: logits = norm(x)·W_Uᵀ, one score per vocabulary token",
        ],
        help: """
            Commands (names: TransformerLens blocks.3.attn.hook_pattern, shorthand pattern 3, llama.cpp kq_soft_max-3):
              prompt TEXT        tokenize TEXT and run the forward pass (recording every step)
              tokens             the tokens: position, id, text
              step [N]           go into the next operation (N of them)
              next               go over the rest of this layer, to the start of the next one
              run                go to the end: the logits
              show [NAME]        shape, min/max/mean/std, first and last values (default: the current step)
              attn L [H]         attention pattern of layer L (head H, or every head)
              lens               logit lens: the top token of every layer at every position
              top [K]            next-token probabilities before and after each sampler
              temp T · topk K · topp P · minp P · repeat R    change a sampler, then show top
              sample             draw a token with those samplers and append it
              grammar FILE.gbnf · schema FILE.json · grammar json · grammar off
                                 constrain what follows: top shows a grammar stage, sample follows it
              ablate L H         switch off head H of layer L (its output z is 0), then run again
              ablate attn L · ablate mlp L    switch off the whole attention or MLP of layer L
              restore            remove every ablation; `top` compares with the original model
              kernels            the current step's matrix product on naive, simd, blas: time, max difference
              block NAME I       bytes of block I of weight NAME (blk.0.attn_q.weight), its values, re-quantization
              save attn L FILE.svg · save lens FILE.svg · save NAME FILE.npy
              quit
            """,
        tokensRecorded: "recorded {0} steps of the forward pass; `step` to walk through them, `run` to jump to the end",
        forwardDone: "the forward pass is done (top, lens, sample)",
        nextToken: "next token: {0} (#{1}, p = {2})",
        candidates: "{0} candidates",
        ablated: "ablated: {0}; the forward pass ran again (`top` compares with the original)",
        restored: "every ablation removed; the forward pass ran again",
        nothingAblated: "nothing is ablated",
        beforeAfter: ("original", "ablated"),
        lensHeading: "logit lens: final norm + unembedding applied to each block's resid_post (rows: layers, columns: positions)",
        noPrompt: "no prompt yet: prompt TEXT",
        report: [
            "title": "Loupe report",
            "tokens": "Prompt and tokens",
            "tokensNote": "tokens. ␣ marks a space that belongs to the token; the number under each token is its id in the vocabulary.",
            "residual": "Residual stream",
            "residualNote": "Each block adds its attention and MLP output to the residual stream, so its norm grows with depth. A token that many heads use as a resting place (an attention sink, often the first) grows much larger.",
            "lens": "Logit lens",
            "lensNote": "Apply the final norm and the unembedding to the residual stream after each layer: which token would the model predict next if it stopped there? Read a column downwards to watch the prediction form.",
            "attention": "Attention patterns",
            "attentionNote": "For every layer and head: row = the query token, column = the key token it attends to, darker = more weight (colour ∝ √weight so that small weights show). Each row sums to 1. Hatched cells are future tokens, hidden by the causal mask. Hover a cell for its value.",
            "footer": "Made by Loupe. This page is self-contained: no script, no network.",
        ],
        page: [
            "title": "Loupe — the glass box",
            "subtitle": "A real language model, opened up: every step of its computation, live.",
            "playground": "Playground",
            "playgroundNote": "The model continues your text one token at a time. Each token is coloured by the probability it had; click one to see its candidates before and after each sampler.",
            "completion": "Completion", "chat": "Chat",
            "prompt": "Prompt", "generate": "Generate", "stop": "Stop",
            "temperature": "Temperature", "topK": "Top-k", "topP": "Top-p", "minP": "Min-p",
            "repeatPenalty": "Repetition penalty", "seed": "Seed", "maxTokens": "Tokens",
            "candidates": "Candidates of this step", "drawn": "drawn", "remaining": "candidates",
            "inside": "Look inside a prompt",
            "insideNote": "Type a prompt and press Enter: the forward pass runs once and records every step.",
            "run": "Run",
            "tokens": "Tokens", "tokensNote": "Each token with its id in the vocabulary. ␣ is a space that belongs to the token.",
            "steps": "The forward pass, step by step", "stepsNote": "Every activation the model computes, in order, with its shape, min/max/mean/std and a histogram of its values.",
            "attention": "Attention", "attentionNote": "Every head of a layer: row = the query token, column = the key it attends to, darker = more weight. Each row sums to 1; the causal mask hides future tokens. Click a head to enlarge it; hover for values.",
            "layer": "Layer", "head": "Head", "query": "query", "key": "key", "weight": "weight",
            "lens": "Logit lens", "lensNote": "The final norm and the unembedding applied after each layer: what would the model say if it stopped there? Read a column downwards.",
            "norms": "Residual-stream norms", "normsNote": "‖x‖ of the residual stream at each position, entering block 0 (emb) and after each block. An attention sink grows much larger.",
            "interventions": "Interventions", "interventionsNote": "Switch off a head, a whole attention layer or an MLP, and compare the next-token distribution with the original model.",
            "ablateHead": "Switch off head", "ablateAttn": "Switch off attention", "ablateMLP": "Switch off MLP",
            "restore": "Restore", "original": "original", "ablated": "ablated", "token": "token", "ablations": "Switched off",
            "none": "nothing",
            "kernels": "Kernels and quantization", "kernelsNote": "The matrix product of a step on the naive kernel (the specification), the SIMD one and BLAS: time and largest difference from naive. Then one quantized block of a weight: its bytes and the weights they encode.",
            "step": "Step", "backend": "kernel", "time": "time", "maxDiff": "max |Δ| vs naive", "unavailable": "unavailable",
            "tensor": "Weight", "block": "Block", "bytes": "bytes", "values": "values",
            "next": "Next token", "samplers": "Samplers", "computing": "Computing…", "language": "Français",
            "model": "Model", "download": "Download .npy", "error": "Error",
        ])

    /// Français (les mots du cours : docs/lecture.fr.md).
    public static let french = Strings(
        lecture: [
            "q_norm_scale": "RMSNorm de chaque tête de requête (Qwen 3, Gemma 3), le diviseur par tête et par token",
            "q_norm_normalized": "RMSNorm de chaque tête de requête : q / √(moyenne(q²)+ε) (puis · γ), avant RoPE",
            "k_norm_scale": "RMSNorm de chaque tête de clé, le diviseur par tête et par token",
            "k_norm_normalized": "RMSNorm de chaque tête de clé : k / √(moyenne(k²)+ε) (puis · γ), avant RoPE",
            "ln1_post_scale": "RMSNorm après l'attention (Gemma), le diviseur par token",
            "ln1_post_normalized": "RMSNorm après l'attention (Gemma) : out / √(moyenne(out²)+ε) (puis · γ)",
            "ln2_post_scale": "RMSNorm après le MLP (Gemma), le diviseur par token",
            "ln2_post_normalized": "RMSNorm après le MLP (Gemma) : out / √(moyenne(out²)+ε) (puis · γ)",
            "embed": "Embedding (plongement) : x = W_E[token], une ligne de la matrice d'embedding par token",
            "resid_pre": "Flux résiduel à l'entrée du bloc : x",
            "ln1_scale": "RMSNorm avant l'attention, le diviseur : √(mean(x²)+ε) par token",
            "ln1_normalized": "RMSNorm avant l'attention : x / √(mean(x²)+ε) (puis · γ)",
            "q": "Requêtes : q = norm(x)·W_Qᵀ, découpées en têtes (« ce que je cherche »)",
            "k": "Clés : k = norm(x)·W_Kᵀ, une par tête clé/valeur (grouped-query attention ; « ce que je contiens »)",
            "v": "Valeurs : v = norm(x)·W_Vᵀ, une par tête clé/valeur (« ce que je transmets »)",
            "rot_q": "RoPE sur les requêtes : chaque paire de dimensions tourne d'un angle position · θ_i",
            "rot_k": "RoPE sur les clés (rangées ensuite dans le cache KV)",
            "attn_scores": "Scores d'attention : q·k / √d_head, −∞ sur les tokens suivants (masque causal) et hors d'une fenêtre glissante",
            "pattern": "Motif d'attention : softmax des scores sur les clés ; chaque ligne est de somme 1",
            "z": "Somme des valeurs pondérée par tête : z = Σ_p pattern[p] · v_p",
            "attn_out": "Sortie de l'attention : z·W_Oᵀ, les têtes remélangées à la largeur du flux résiduel",
            "resid_mid": "Connexion résiduelle : x ← x + attention(x)",
            "ln2_scale": "RMSNorm avant le MLP, le diviseur : √(mean(x²)+ε) par token",
            "ln2_normalized": "RMSNorm avant le MLP : x / √(mean(x²)+ε) (puis · γ)",
            "mlp_pre": "Porte du MLP : norm(x)·W_gateᵀ (passe par SiLU, ou GELU pour Gemma)",
            "mlp_pre_linear": "Branche « up » du MLP : norm(x)·W_upᵀ (la branche linéaire)",
            "mlp_post": "SwiGLU : SiLU(gate) ⊙ up, SiLU(g) = g·σ(g)",
            "mlp_out": "Sortie du MLP : (SiLU(gate) ⊙ up)·W_downᵀ",
            "resid_post": "Connexion résiduelle : x ← x + MLP(x), la sortie du bloc",
            "ln_final_scale": "RMSNorm final, le diviseur : √(mean(x²)+ε)",
            "ln_final_normalized": "RMSNorm final : x / √(mean(x²)+ε) (puis · γ)",
            "logits": "Désembedding : logits = norm(x)·W_Uᵀ, un score par token du vocabulaire",
        ],
        help: """
            Commandes (noms : TransformerLens blocks.3.attn.hook_pattern, abrégé pattern 3, llama.cpp kq_soft_max-3) :
              prompt TEXTE       découpe TEXTE en tokens et exécute la passe avant (en enregistrant chaque étape)
              tokens             les tokens : position, id, texte
              step [N]           avance d'une opération (ou de N)
              next               saute le reste de ce bloc, jusqu'au début du suivant
              run                va à la fin : les logits
              show [NOM]         forme, min/max/moyenne/écart-type, premières et dernières valeurs (par défaut : l'étape courante)
              attn L [H]         motif d'attention du bloc L (tête H, ou toutes les têtes)
              lens               logit lens : le meilleur token de chaque bloc à chaque position
              top [K]            probabilités du token suivant avant et après chaque étape d'échantillonnage
              temp T · topk K · topp P · minp P · repeat R    change un échantillonneur, puis affiche top
              sample             tire un token avec ces échantillonneurs et l'ajoute
              grammar FICHIER.gbnf · schema FICHIER.json · grammar json · grammar off
                                 contraint la suite : top montre une étape « grammar », sample la suit
              ablate L H         éteint la tête H du bloc L (sa sortie z vaut 0), puis relance la passe avant
              ablate attn L · ablate mlp L    éteint toute l'attention ou tout le MLP du bloc L
              restore            retire toutes les ablations ; `top` compare avec le modèle d'origine
              kernels            le produit matriciel de l'étape courante avec les noyaux naive, simd, blas : temps, écart maximal
              block NOM I        octets du bloc I du poids NOM (blk.0.attn_q.weight), ses valeurs, re-quantification
              save attn L FICHIER.svg · save lens FICHIER.svg · save NOM FICHIER.npy
              quit
            """,
        tokensRecorded: "{0} étapes de la passe avant enregistrées ; `step` pour les parcourir, `run` pour aller à la fin",
        forwardDone: "la passe avant est terminée (top, lens, sample)",
        nextToken: "token suivant : {0} (#{1}, p = {2})",
        candidates: "{0} candidats",
        ablated: "éteint : {0} ; la passe avant a été relancée (`top` compare avec l'original)",
        restored: "toutes les ablations retirées ; la passe avant a été relancée",
        nothingAblated: "rien n'est éteint",
        beforeAfter: ("original", "ablation"),
        lensHeading: "logit lens : RMSNorm final + désembedding appliqués au resid_post de chaque bloc (lignes : blocs, colonnes : positions)",
        noPrompt: "pas encore de prompt : prompt TEXTE",
        report: [
            "title": "Rapport Loupe",
            "tokens": "Prompt et tokens",
            "tokensNote": "tokens. ␣ marque une espace qui fait partie du token ; le nombre sous chaque token est son id dans le vocabulaire.",
            "residual": "Flux résiduel",
            "residualNote": "Chaque bloc ajoute la sortie de son attention et de son MLP au flux résiduel : sa norme grandit avec la profondeur. Un token que beaucoup de têtes regardent pour ne rien faire (un puits d'attention, souvent le premier) grandit bien plus.",
            "lens": "Logit lens",
            "lensNote": "Appliquez le RMSNorm final et le désembedding au flux résiduel après chaque bloc : quel token le modèle prédirait-il s'il s'arrêtait là ? Lisez une colonne de haut en bas pour voir la prédiction se former.",
            "attention": "Motifs d'attention",
            "attentionNote": "Pour chaque bloc et chaque tête : ligne = le token requête, colonne = le token clé qu'il regarde, plus foncé = plus de poids (couleur ∝ √poids pour que les petits poids se voient). Chaque ligne est de somme 1. Les cases hachurées sont les tokens suivants, cachés par le masque causal. Survolez une case pour sa valeur.",
            "footer": "Fait par Loupe. Cette page se suffit à elle-même : pas de script, pas de réseau.",
        ],
        page: [
            "title": "Loupe — la boîte de verre",
            "subtitle": "Un vrai modèle de langage, ouvert : chaque étape de son calcul, en direct.",
            "playground": "Bac à sable",
            "playgroundNote": "Le modèle continue votre texte un token à la fois. Chaque token est coloré selon la probabilité qu'il avait ; cliquez dessus pour voir ses candidats avant et après chaque échantillonneur.",
            "completion": "Complétion", "chat": "Conversation",
            "prompt": "Prompt", "generate": "Générer", "stop": "Arrêter",
            "temperature": "Température", "topK": "Top-k", "topP": "Top-p", "minP": "Min-p",
            "repeatPenalty": "Pénalité de répétition", "seed": "Graine", "maxTokens": "Tokens",
            "candidates": "Candidats de cette étape", "drawn": "tiré", "remaining": "candidats",
            "inside": "Regarder à l'intérieur d'un prompt",
            "insideNote": "Tapez un prompt et appuyez sur Entrée : la passe avant s'exécute une fois et enregistre chaque étape.",
            "run": "Exécuter",
            "tokens": "Tokens", "tokensNote": "Chaque token avec son id dans le vocabulaire. ␣ est une espace qui fait partie du token.",
            "steps": "La passe avant, étape par étape", "stepsNote": "Chaque activation que calcule le modèle, dans l'ordre, avec sa forme (shape), min/max/moyenne/écart-type et l'histogramme de ses valeurs.",
            "attention": "Attention", "attentionNote": "Toutes les têtes d'un bloc : ligne = le token requête, colonne = la clé qu'il regarde, plus foncé = plus de poids. Chaque ligne est de somme 1 ; le masque causal cache les tokens suivants. Cliquez une tête pour l'agrandir ; survolez pour les valeurs.",
            "layer": "Bloc", "head": "Tête", "query": "requête", "key": "clé", "weight": "poids",
            "lens": "Logit lens", "lensNote": "Le RMSNorm final et le désembedding appliqués après chaque bloc : que dirait le modèle s'il s'arrêtait ici ? Lisez une colonne de haut en bas.",
            "norms": "Normes du flux résiduel", "normsNote": "‖x‖ du flux résiduel à chaque position, à l'entrée du bloc 0 (emb) et après chaque bloc. Un puits d'attention grandit bien plus.",
            "interventions": "Interventions", "interventionsNote": "Éteignez une tête, toute une couche d'attention ou un MLP, et comparez la distribution du token suivant avec celle du modèle d'origine.",
            "ablateHead": "Éteindre la tête", "ablateAttn": "Éteindre l'attention", "ablateMLP": "Éteindre le MLP",
            "restore": "Rétablir", "original": "original", "ablated": "ablation", "token": "token", "ablations": "Éteints",
            "none": "rien",
            "kernels": "Noyaux de calcul et quantification", "kernelsNote": "Le produit matriciel d'une étape avec le noyau naïf (la spécification), le noyau SIMD et BLAS : temps et plus grand écart avec le naïf. Puis un bloc quantifié d'un poids : ses octets et les poids qu'ils codent.",
            "step": "Étape", "backend": "noyau", "time": "temps", "maxDiff": "max |Δ| vs naive", "unavailable": "indisponible",
            "tensor": "Poids", "block": "Bloc", "bytes": "octets", "values": "valeurs",
            "next": "Token suivant", "samplers": "Échantillonneurs", "computing": "Calcul…", "language": "English",
            "model": "Modèle", "download": "Télécharger le .npy", "error": "Erreur",
        ])
}
