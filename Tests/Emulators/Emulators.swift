// Emulators: see EntraEmulator.swift and JamfProEmulator.swift.
