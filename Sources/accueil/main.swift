import AccueilCLI
import AccueilCore

// Before any thread: the daemons' memory stays flat under load (FreeMemory.swift).
limitMallocArenas()
await AccueilCommand.mainWithExitCodes()
