print("secrets-emulator: not built yet")
