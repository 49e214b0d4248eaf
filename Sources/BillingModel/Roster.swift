/// A practitioner of the centre and the days they worked there.
public struct RosterEntry: Hashable, Sendable {
    public var practitionerID: String
    public var name: String
    public var specialty: Specialty?
    public var startDate: CalendarDay?
    /// Nil while the practitioner still works at the centre.
    public var endDate: CalendarDay?

    public init(practitionerID: String, name: String, specialty: Specialty?, startDate: CalendarDay?, endDate: CalendarDay?) {
        self.practitionerID = practitionerID
        self.name = name
        self.specialty = specialty
        self.startDate = startDate
        self.endDate = endDate
    }

    /// Whether the practitioner belonged to the centre on `day`.
    public func isActive(on day: CalendarDay) -> Bool {
        if let startDate, day < startDate { return false }
        if let endDate, day > endDate { return false }
        return true
    }
}

/// The centre's practitioners, by RPPS.
public struct Roster: Sendable {
    public private(set) var entries: [String: RosterEntry] = [:]

    public init(_ entries: [RosterEntry] = []) {
        for entry in entries { self.entries[entry.practitionerID] = entry }
    }

    public subscript(practitionerID: String) -> RosterEntry? { entries[practitionerID] }

    public func name(of practitionerID: String) -> String? { entries[practitionerID]?.name }

    public var isEmpty: Bool { entries.isEmpty }
}
