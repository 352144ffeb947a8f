// The Entra ID issuer: see EntraIDIssuer.swift.
