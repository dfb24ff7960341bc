/// GPT-2's reversible map between bytes and printable characters.
///
/// Byte-level BPE vocabularies store tokens as text in which every byte is one visible
/// character: the printable bytes `!`…`~`, `¡`…`¬`, `®`…`ÿ` stand for themselves and the other
/// 68 bytes (space, control bytes, …) become U+0100, U+0101, … in byte order. A space is
/// therefore `Ġ` (U+0120) and a newline `Ċ` (U+010A).
enum GPT2ByteMapping {
    /// The character (code point) standing for each byte.
    static let characterOfByte: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 256)
        var next: UInt32 = 256
        for byte in 0 ..< 256 {
            if (0x21 ... 0x7E).contains(byte) || (0xA1 ... 0xAC).contains(byte) || (0xAE ... 0xFF).contains(byte) {
                table[byte] = UInt32(byte)
            } else {
                table[byte] = next
                next += 1
            }
        }
        return table
    }()

    /// The byte a character stands for, or nil for characters outside the map.
    static func byte(ofCharacter cpt: UInt32) -> UInt8? {
        byteOfCharacter[cpt]
    }

    private static let byteOfCharacter: [UInt32: UInt8] = {
        var map: [UInt32: UInt8] = [:]
        for (byte, cpt) in characterOfByte.enumerated() { map[cpt] = UInt8(byte) }
        return map
    }()

    /// UTF-8 of the character standing for `byte` (the token text of a one-byte token).
    static func encodedCharacter(_ byte: UInt8) -> [UInt8] {
        var out: [UInt8] = []
        LenientUTF8.append(characterOfByte[Int(byte)], to: &out)
        return out
    }
}
