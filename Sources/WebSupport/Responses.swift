import AccueilCore
import Foundation
import HTTPTypes
import Hummingbird

/// A JSON answer, encoded inside the route handler.
///
/// Every route returns a `Response` made here, never a struct handed back through Hummingbird's
/// generic `ResponseGenerator`: in Swift 6.3.1's release build, the kiosk's check-in route returned
/// a `DoorAnswer` whose nil fields were never written (the optimizer dropped those stores in the
/// async closure's indirect result), so the encoder read garbage and the daemon crashed. Encoding
/// in the handler reads every field where it was written. See docs/release-crash.md.
public func jsonAnswer(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
    jsonAnswer(bytes: try JSONEncoder().encode(value), status: status)
}

/// A JSON answer written by the value itself (`JSONWritable`: the door's hot routes), the same
/// JSON as `JSONEncoder` would give, at a fraction of its cost.
public func jsonAnswer(_ value: some JSONWritable, status: HTTPResponse.Status = .ok) -> Response {
    var json = JSONOut(capacity: 1024)
    value.write(to: &json)
    return jsonAnswer(bytes: json.bytes, status: status)
}

private func jsonAnswer(bytes: some Sequence<UInt8>, status: HTTPResponse.Status) -> Response {
    let buffer = ByteBuffer(bytes: bytes)
    return Response(
        status: status,
        headers: [.contentType: "application/json; charset=utf-8", .contentLength: String(buffer.readableBytes)],
        body: .init(byteBuffer: buffer))
}

/// Bytes already encoded as JSON, as a `200 OK` answer.
public func jsonResponse(_ data: Data) -> Response {
    Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(data: data)))
}

/// A page's files (style, scripts), compiled into the binary: served as `GET prefix/{name}`.
public typealias PageAssets = [String: (bytes: [UInt8], type: String)]

/// `GET prefix/{name}`: one of `assets`, with its media type; 404 for any other name.
public func addAssetRoutes(to router: Router<ClientContext>, under prefix: String, _ assets: PageAssets) {
    router.get("\(prefix)/{name}") { _, context -> Response in
        guard let name = context.parameters.get("name"), let asset = assets[name] else {
            throw HTTPError(.notFound, message: "no such file")
        }
        return Response(
            status: .ok, headers: [.contentType: asset.type, .cacheControl: "no-cache"],
            body: .init(byteBuffer: ByteBuffer(bytes: asset.bytes)))
    }
}
