// The Jamf Pro target: see JamfPayload.swift.
