package clerkdev

// connection is an enterprise connection of the instance (see enterprise.go's doc).
type connection struct {
	ID string
}

// SeedConnection is an enterprise connection of the seed.
type SeedConnection struct{}

func (s *Server) loadConnectionsLocked([]SeedConnection) error { return nil }
