import AccueilCLI

AccueilCommand.mainWithExitCodes()
