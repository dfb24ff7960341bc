/// Maps a value in [0, 1] to a colour by interpolating between a few stops, as ColorBrewer's
/// sequential scales do: light means small, dark means large, so a heatmap reads in print too.
public struct ColorScale: Sendable {
    /// The stops, evenly spaced over [0, 1], as (r, g, b) in 0…255.
    let stops: [(Double, Double, Double)]

    /// Light to dark blue (ColorBrewer "Blues"), for attention weights.
    public static let blues = ColorScale(stops: [(247, 251, 255), (198, 219, 239), (107, 174, 214),
                                                 (33, 113, 181), (8, 48, 107)])
    /// Light yellow to dark red (ColorBrewer "YlOrRd"), for probabilities in the logit lens.
    public static let heat = ColorScale(stops: [(255, 255, 229), (254, 227, 145), (254, 153, 41),
                                                (217, 72, 1), (127, 39, 4)])

    /// The colour of `value` (clamped to [0, 1]) as `#rrggbb`.
    public func color(_ value: Double) -> String {
        let (r, g, b) = rgb(value)
        return "#" + [r, g, b].map { component in
            let hex = String(Int(component.rounded()), radix: 16)
            return hex.count == 1 ? "0" + hex : hex
        }.joined()
    }

    /// Whether text drawn on `value`'s colour should be white to stay readable.
    public func needsLightText(_ value: Double) -> Bool {
        let (r, g, b) = rgb(value)
        // Relative luminance, sRGB weights; below about half, black text loses contrast.
        return 0.2126 * r + 0.7152 * g + 0.0722 * b < 140
    }

    private func rgb(_ value: Double) -> (Double, Double, Double) {
        let v = value.isFinite ? min(max(value, 0), 1) : 0
        let scaled = v * Double(stops.count - 1)
        let i = min(Int(scaled), stops.count - 2)
        let t = scaled - Double(i)
        let a = stops[i], b = stops[i + 1]
        return (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t, a.2 + (b.2 - a.2) * t)
    }
}
