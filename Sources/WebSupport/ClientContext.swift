import Foundation
import Hummingbird
import NIOCore

/// The request context of the server and the kiosk: Hummingbird's basic one, plus the address of
/// the client (sign-in throttling, the PIN's lockout, the logs).
public struct ClientContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?
    /// The event loop of the request's connection: the handler runs there (`OnChannelEventLoop`),
    /// so work given to it with `execute` runs after the handler's answer is written
    /// (`afterAnswer(_:)`).
    public let eventLoop: any EventLoop

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
        eventLoop = source.channel.eventLoop
    }

    /// Runs `work` on the connection's event loop once the handler's current step is over: with the
    /// handler on that loop, after its answer is written, so that the client does not wait for it
    /// (a journal line). Off the loop (another executor), whenever the loop gets to it.
    public func afterAnswer(_ work: @escaping @Sendable () -> Void) {
        eventLoop.execute(work)
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
