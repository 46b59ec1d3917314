import Foundation
import Hummingbird
import NIOFoundationCompat

/// A JSON request body: 413 past `limit` bytes, 400 when it is not the JSON expected.
public func decode<T: Decodable>(_ type: T.Type, _ request: Request, limit: Int) async throws -> T {
    // Announced too large: refused before a byte of it is read.
    if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
        throw HTTPError(.contentTooLarge, message: "request body of \(length) bytes; at most \(limit)")
    }
    let body: ByteBuffer
    do {
        body = try await request.body.collect(upTo: limit)
    } catch {
        throw HTTPError(.contentTooLarge, message: "request body over \(limit) bytes")
    }
    do {
        return try JSONDecoder().decode(T.self, from: Data(buffer: body))
    } catch {
        throw HTTPError(.badRequest, message: "malformed JSON: \(error)")
    }
}
