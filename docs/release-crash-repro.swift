// A miscompile in Swift 6.3.1's release pipeline (docs/release-crash.md), on its own.
//
//     swiftc -O -parse-as-library docs/release-crash-repro.swift -o /tmp/repro && /tmp/repro
//
// prints "short: pending": the short path's answer never sets printState, which must stay nil
// ("short: nil", as `swiftc -Onone` prints). LLVM's dead store elimination removes the store of
// nil because, in an async function before coroutine splitting, every exit ends in
// `llvm.coro.end.async` then `unreachable`, and the store is overwritten on the only path that does
// not. The caller then reads what its frame held before: here the long path's "pending"; in the
// kiosk, pieces of freed strings, and a crash. With the flag Package.swift gives release builds,
// `-Xllvm -dse-memoryssa-otherbb-cost=1000`, it prints "short: nil".
struct Answer {
    var status: String
    var printState: String?
}

final class Route: @unchecked Sendable {
    var handler: ((String) async -> String)?

    // As a web framework keeps a route: the handler's result comes back through a generic (indirect) result.
    @inline(never)
    func set<Output>(_ route: @escaping (String) async -> Output, render: @escaping (Output) -> String) {
        handler = { path in render(await route(path)) }
    }
}

@main
struct Main {
    static func main() async {
        let route = Route()
        route.set(
            { path -> Answer in
                let wanted = path.count > 1000
                var answer = Answer(status: "checked_in")
                if wanted { answer.printState = "pending" }
                return answer
            }, render: { $0.printState ?? "nil" })
        let long = String(repeating: "x", count: 2000)
        print("long: ", await route.handler!(long))
        print("short:", await route.handler!("/api/v1/checkin"))
    }
}
