import Testing

// Tests for this module arrive with the module.
@Test func moduleBuilds() { #expect(Bool(true)) }
