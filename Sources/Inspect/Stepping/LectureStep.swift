import Transformer

extension HookPoint {
    /// The lecture's one-line explanation of the step that produced this activation, in English
    /// (`lecture(in:)` for another language; the sentences are in Text/Strings.swift).
    public var lecture: String { Strings.english.lecture(self) }

    /// The lecture's explanation of this step in `language`.
    public func lecture(in language: Language) -> String { language.strings.lecture(self) }
}
