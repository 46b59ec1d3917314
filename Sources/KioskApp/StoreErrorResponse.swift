import Foundation
import HTTPTypes
import Hummingbird
import KioskStore
import WebSupport

/// A store error answered as the API's other errors are, `{"error": {"message": …}}`, with the
/// status that says what happened: an unknown attendee or session is 404, a change that does not
/// fit the attendee's state (not checked in, an id already taken) 409, anything else 500.
extension StoreError: HTTPResponseError {
    public var status: HTTPResponse.Status {
        switch kind {
        case .unknownAttendee, .unknownSession: .notFound
        case .notCheckedIn, .idTaken: .conflict
        case .failure: .internalServerError
        }
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        try jsonAnswer(["error": ["message": message]], status: status)
    }
}
