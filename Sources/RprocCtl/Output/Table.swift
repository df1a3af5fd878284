// Tables in the layout of systemd's format-table: a header line, columns aligned with one space
// between them, and a legend line that counts the rows.

/// A table of text cells, printed with aligned columns.
struct Table {
    enum Alignment { case left, right }

    struct Column {
        let header: String
        let alignment: Alignment

        init(_ header: String, _ alignment: Alignment = .left) {
            self.header = header
            self.alignment = alignment
        }
    }

    struct Cell: ExpressibleByStringLiteral {
        var text: String
        var style: Style?

        init(_ text: String, style: Style? = nil) {
            self.text = text
            self.style = style
        }

        init(stringLiteral text: String) { self.init(text) }
    }

    let columns: [Column]
    private(set) var rows: [[Cell]] = []

    init(_ columns: [Column]) { self.columns = columns }

    /// Appends a row; it must have one cell per column.
    mutating func append(_ cells: [Cell]) {
        precondition(cells.count == columns.count, "a row needs \(columns.count) cells")
        rows.append(cells)
    }

    /// Appends a row of unstyled cells.
    mutating func append(_ texts: String...) { append(texts.map { Cell($0) }) }

    /// The table as lines ending in "\n", with the header unless `header` is false or there are
    /// no rows (the legend line alone then says "0 … listed.").
    /// Widths count characters, so styling never shifts a column; no line has trailing spaces.
    func render(header: Bool, styler: Styler) -> String {
        let header = header && !rows.isEmpty
        var widths = columns.map { header ? $0.header.count : 0 }
        for row in rows {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.text.count) }
        }
        var output = ""
        if header {
            let cells = columns.map { Cell($0.header) }
            output += line(cells, widths: widths, styler: styler, headerStyle: .underline)
        }
        for row in rows { output += line(row, widths: widths, styler: styler, headerStyle: nil) }
        return output
    }

    private func line(_ cells: [Cell], widths: [Int], styler: Styler, headerStyle: Style?) -> String {
        var parts: [String] = []
        for (index, cell) in cells.enumerated() {
            let padding = String(repeating: " ", count: widths[index] - cell.text.count)
            let styled = styler.apply(headerStyle ?? cell.style, cell.text)
            let isLast = index == cells.count - 1
            switch columns[index].alignment {
            case .left: parts.append(isLast ? styled : styled + padding)
            case .right: parts.append(padding + styled)
            }
        }
        var text = parts.joined(separator: " ")
        while text.last == " " { text.removeLast() }
        return text + "\n"
    }
}

/// "1 segment listed." / "3 segments listed.": systemd's legend line (without the newline).
func legend(_ count: Int, _ singular: String, _ plural: String) -> String {
    "\(count) \(count == 1 ? singular : plural) listed."
}
