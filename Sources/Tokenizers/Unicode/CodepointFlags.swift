/// The Unicode facts the pre-tokenizers ask about a code point, as llama.cpp's
/// `unicode_cpt_flags`: one general-category bit (\p{L}, \p{N}, …) plus "is whitespace".
///
/// Categories come from the Unicode data Swift carries (`Unicode.Scalar.Properties`), folded
/// the way llama.cpp's `gen-unicode-data.py` folds them; whitespace is llama.cpp's own list.
struct CodepointFlags: OptionSet, Sendable {
    let rawValue: UInt16
    static let undefined = CodepointFlags(rawValue: 0x0001)     // Cn, or past U+10FFFF
    static let number = CodepointFlags(rawValue: 0x0002)        // \p{N}
    static let letter = CodepointFlags(rawValue: 0x0004)        // \p{L}
    static let separator = CodepointFlags(rawValue: 0x0008)     // \p{Z}
    static let accentMark = CodepointFlags(rawValue: 0x0010)    // \p{M}
    static let punctuation = CodepointFlags(rawValue: 0x0020)   // \p{P}
    static let symbol = CodepointFlags(rawValue: 0x0040)        // \p{S}
    static let control = CodepointFlags(rawValue: 0x0080)       // \p{C}
    static let whitespace = CodepointFlags(rawValue: 0x0100)    // \s

    /// Flags of `cpt`: a table for the Basic Multilingual Plane, computed above it.
    @inline(__always)
    static func of(_ cpt: UInt32) -> CodepointFlags {
        cpt < 0x10000 ? CodepointFlags(rawValue: bmpTable[Int(cpt)]) : compute(cpt)
    }

    /// Code points llama.cpp treats as `\s` (`unicode_set_whitespace`).
    static let whitespaceSet: Set<UInt32> = [
        0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0, 0x1680,
        0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200A,
        0x2028, 0x2029, 0x202F, 0x205F, 0x3000,
    ]

    /// 64 K entries, built once on first use (a few milliseconds).
    static let bmpTable: [UInt16] = (0 ..< 0x10000).map { compute(UInt32($0)).rawValue }

    static func compute(_ cpt: UInt32) -> CodepointFlags {
        var flags: CodepointFlags
        if (0xD800 ... 0xDFFF).contains(cpt) {
            flags = .control                         // Cs
        } else if let scalar = Unicode.Scalar(cpt) {
            switch scalar.properties.generalCategory {
            case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
                flags = .letter
            case .nonspacingMark, .spacingMark, .enclosingMark:
                flags = .accentMark
            case .decimalNumber, .letterNumber, .otherNumber:
                flags = .number
            case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
                 .initialPunctuation, .finalPunctuation, .otherPunctuation:
                flags = .punctuation
            case .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol:
                flags = .symbol
            case .spaceSeparator, .lineSeparator, .paragraphSeparator:
                flags = .separator
            case .control, .format, .privateUse, .surrogate:
                flags = .control
            case .unassigned:
                flags = .undefined
            @unknown default:
                flags = .undefined
            }
        } else {
            flags = .undefined
        }
        if whitespaceSet.contains(cpt) { flags.insert(.whitespace) }
        return flags
    }

    var isLetter: Bool { contains(.letter) }
    var isNumber: Bool { contains(.number) }
    var isWhitespace: Bool { contains(.whitespace) }
    var isPunctuation: Bool { contains(.punctuation) }
}
