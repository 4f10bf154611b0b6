// Placeholder translation unit for a room with no sources yet.
