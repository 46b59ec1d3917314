import ArgumentParser

struct DoorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "door", abstract: "Interactive door screen.")
    func run() throws {}
}

