import AccueilCLI

await AccueilCommand.mainWithExitCodes()
