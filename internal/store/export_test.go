package store

// PostgresInboxInsert is the inbox's batch insert, for a test of its plan.
const PostgresInboxInsert = postgresInboxInsert
