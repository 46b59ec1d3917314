import Foundation
import Hummingbird
import NIOCore

/// The request context of the server and the kiosk: Hummingbird's basic one, plus the address of
/// the client (sign-in throttling, the PIN's lockout, the logs).
public struct ClientContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// Who is asking: the peer's IP address; behind a reverse proxy on this machine (the peer is
    /// loopback), the last address the proxy added to `X-Forwarded-For`.
    public func client(_ request: Request) -> String {
        let peer = remoteAddress?.ipAddress ?? "unknown"
        if peer == "127.0.0.1" || peer == "::1", let forwarded = request.headers[.init("X-Forwarded-For")!],
            let last = forwarded.split(separator: ",").last?.trimmingCharacters(in: .whitespaces), !last.isEmpty,
            last.count <= 64
        {
            return last
        }
        return peer
    }
}
