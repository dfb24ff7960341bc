/// Data a picture cannot be drawn from, with what was expected and what was found.
public struct PictureError: Error, CustomStringConvertible, Equatable {
    public let description: String
    init(_ description: String) { self.description = description }
}
