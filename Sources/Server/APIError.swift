import Hummingbird

/// An error answered in OpenAI's shape, `{"error": {"message", "type", "param", "code"}}`, with
/// its HTTP status, so that the official clients raise the matching exception
/// (`BadRequestError`, `AuthenticationError`, `NotFoundError`, …).
public struct APIError: Error, Sendable, Equatable {
    public var status: HTTPResponse.Status
    public var message: String
    /// OpenAI's `type`: `invalid_request_error`, `authentication_error`, `not_found_error`,
    /// `server_error`, `unavailable_error`.
    public var type: String
    /// The request field at fault, if one is.
    public var param: String?
    /// A machine-readable code (`context_length_exceeded`, `invalid_api_key`, …), if any.
    public var code: String?

    public init(status: HTTPResponse.Status, message: String, type: String, param: String? = nil, code: String? = nil) {
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
    }

    /// The JSON body.
    public var body: JSONValue {
        ["error": [
            "message": .string(message),
            "type": .string(type),
            "param": param.map { .string($0) } ?? .null,
            "code": code.map { .string($0) } ?? .null,
        ]]
    }

    // MARK: - The errors the server answers

    /// 400: the request is not one the server can run.
    static func invalid(_ message: String, param: String?, code: String? = nil) -> APIError {
        APIError(status: .badRequest, message: message, type: "invalid_request_error", param: param, code: code)
    }

    /// 400: a field has the wrong JSON type.
    static func wrongType(_ param: String, _ expected: String) -> APIError {
        invalid("'\(param)' must be \(expected)", param: param, code: "invalid_type")
    }

    /// 400: a field Loupe knows but does not implement yet.
    static func unsupported(_ param: String, _ why: String) -> APIError {
        invalid("'\(param)' is not supported yet: \(why)", param: param, code: "unsupported_parameter")
    }

    static let invalidJSON = APIError.invalid("the request body is not valid JSON", param: nil, code: "invalid_json")

    static func bodyTooLarge(limit: Int) -> APIError {
        APIError(status: .contentTooLarge, message: "the request body is larger than \(limit) bytes",
                 type: "invalid_request_error", code: "request_too_large")
    }

    static func notFound(_ path: String) -> APIError {
        APIError(status: .notFound, message: "no route \(path) (see docs/serve.md for the endpoints)",
                 type: "not_found_error", code: "not_found")
    }

    static func methodNotAllowed(_ method: String, _ path: String, allowed: String) -> APIError {
        APIError(status: .methodNotAllowed, message: "\(path) accepts \(allowed), not \(method)",
                 type: "invalid_request_error", code: "method_not_allowed")
    }

    static let missingKey = APIError(status: .unauthorized,
                                     message: "this server needs an API key: send the header 'Authorization: Bearer KEY'",
                                     type: "authentication_error", code: "invalid_api_key")
    static let wrongKey = APIError(status: .unauthorized, message: "invalid API key",
                                   type: "authentication_error", code: "invalid_api_key")

    static func busy(queue: Int) -> APIError {
        APIError(status: .serviceUnavailable,
                 message: "the server is busy: every slot is generating and \(queue) requests are already waiting; retry shortly",
                 type: "unavailable_error", code: "server_busy")
    }

    static let shuttingDown = APIError(status: .serviceUnavailable, message: "the server is shutting down",
                                       type: "unavailable_error", code: "shutting_down")

    static func server(_ message: String) -> APIError {
        APIError(status: .internalServerError, message: message, type: "server_error", code: "internal_error")
    }
}
