import Foundation

/// A page of tables (figures, records, lists): the values of `table.mustache`. Every cell is text,
/// optionally a link, optionally followed by links; every text is escaped by the template engine.
struct ConsoleTable {
    struct Cell {
        var text: String
        var href: String?
        var links: [(text: String, href: String)] = []

        init(_ text: String, href: String? = nil, links: [(text: String, href: String)] = []) {
            self.text = text
            self.href = href
            self.links = links
        }

        init(_ number: Int) { self.init(String(number)) }

        var values: [String: Any] {
            // Names no other level of the page uses: Mustache looks a missing name up in the levels around.
            var values: [String: Any] = ["cell_text": text, "cell_href": href ?? false, "has_cell_links": !links.isEmpty]
            if !links.isEmpty { values["cell_links"] = links.map { ["link_text": $0.text, "link_href": $0.href] } }
            return values
        }
    }

    struct Section {
        var caption: String
        var columns: [String]
        var rows: [[Cell]]
    }

    var sections: [Section]

    var values: [String: Any] {
        [
            "sections": sections.enumerated().map { index, section -> [String: Any] in
                [
                    "index": index, "caption": section.caption, "columns": section.columns, "empty": section.rows.isEmpty,
                    "has_rows": !section.rows.isEmpty, "rows": section.rows.map { ["cells": $0.map(\.values)] },
                ]
            },
        ]
    }
}
