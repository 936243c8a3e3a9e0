package bolt

// CurrentSchema is the schema version this binary migrates databases to;
// `sigmalab check` compares a database's stored version with it without
// opening the database for writing (Open would migrate it).
func CurrentSchema() uint64 { return currentSchema() }
