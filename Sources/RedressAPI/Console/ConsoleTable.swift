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
            var values: [String: Any] = ["text": text]
            if let href { values["href"] = href }
            if !links.isEmpty { values["links"] = links.map { ["text": $0.text, "href": $0.href] } }
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
