import HummingbirdCore
import Logging
import NIOCore

/// A task executor that runs its jobs on one NIO event loop.
///
/// By default a connection's requests run on Swift's global executor: every request part that
/// NIO reads on its event loop wakes a thread of the global pool, and every answer the handler
/// writes wakes the event loop again. On this project's two-core stations those wake-ups were a
/// fifth of the daemon's CPU at one client (`perf`: `try_to_wake_up` under
/// `swift_task_enqueueGlobal`). With the connection's task preferring its channel's event loop,
/// reading the request, running the handler and writing the answer stay on one thread.
public final class EventLoopTaskExecutor: TaskExecutor {
    public let eventLoop: any EventLoop

    public init(_ eventLoop: any EventLoop) { self.eventLoop = eventLoop }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

/// A server child channel whose connections are each handled on their channel's event loop
/// (`EventLoopTaskExecutor`): the handler's task, and the tasks it starts in structured
/// concurrency, prefer that loop. Work that blocks still goes to threads of its own (the store's
/// `StoreWork`, the group commit), as it must on any executor the HTTP server shares.
public struct OnChannelEventLoop<Inner: ServerChildChannel>: ServerChildChannel {
    public typealias Value = Inner.Value
    let inner: Inner

    public init(_ inner: Inner) { self.inner = inner }

    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        inner.setup(channel: channel, logger: logger)
    }

    public func handle(value: Value, logger: Logger) async {
        await withTaskExecutorPreference(EventLoopTaskExecutor(value.channel.eventLoop)) {
            await inner.handle(value: value, logger: logger)
        }
    }
}

extension HTTPServerBuilder {
    /// HTTP/1.1 (as `.http1()`), each connection handled on its channel's event loop.
    public static func http1OnEventLoop(configuration: HTTP1Channel.Configuration = .init()) -> HTTPServerBuilder {
        .init { responder in OnChannelEventLoop(HTTP1Channel(responder: responder, configuration: configuration)) }
    }
}
