import NIOCore
import PostgresNIO

/// `integer[]` and `bigint[]` columns of one dimension without NULLs, decoded straight from the
/// wire. PostgresNIO's generic array decoding instantiates each element's decoder through generic
/// metadata, which made reading a platform's year of response seconds (tens of thousands of values)
/// cost more service CPU than PostgreSQL spent finding them; counters read as one array per row
/// instead of a column each save the same per cell. Two concrete types around one reader: a
/// generic decodable type was reached through PostgresNIO's generic code unspecialised, and was as
/// slow as the decoder it replaces.
struct Int32Column: PostgresDecodable, Sendable {
    var values: [Int32]

    init<JSONDecoder: PostgresJSONDecoder>(
        from buffer: inout ByteBuffer, type: PostgresDataType, format: PostgresFormat, context: PostgresDecodingContext<JSONDecoder>
    ) throws {
        values = try IntegerArrayWire.values(in: &buffer, type: type, format: format, array: .int4Array, element: .int4)
    }
}

struct Int64Column: PostgresDecodable, Sendable {
    var values: [Int64]

    init<JSONDecoder: PostgresJSONDecoder>(
        from buffer: inout ByteBuffer, type: PostgresDataType, format: PostgresFormat, context: PostgresDecodingContext<JSONDecoder>
    ) throws {
        values = try IntegerArrayWire.values(in: &buffer, type: type, format: format, array: .int8Array, element: .int8)
    }
}

private enum IntegerArrayWire {
    /// The elements of a one-dimensional array without NULLs whose elements are `Element`s: the
    /// header checked, then exactly that many elements, each after its length. Called from concrete
    /// code only, where it is specialised for its element.
    @inline(__always)
    static func values<Element: FixedWidthInteger>(
        in buffer: inout ByteBuffer, type: PostgresDataType, format: PostgresFormat, array: PostgresDataType, element: PostgresDataType
    ) throws -> [Element] {
        let width = MemoryLayout<Element>.size
        guard format == .binary, type == array,
            let (dimensions, hasNulls, elementType) = buffer.readMultipleIntegers(endianness: .big, as: (Int32, Int32, UInt32).self),
            hasNulls == 0, elementType == element.rawValue, dimensions == 0 || dimensions == 1
        else { throw PostgresDecodingError.Code.failure }
        guard dimensions == 1 else { return [] }
        guard let (count, _) = buffer.readMultipleIntegers(endianness: .big, as: (Int32, Int32).self), count >= 0,
            buffer.readableBytes == Int(count) * (4 + width)
        else { throw PostgresDecodingError.Code.failure }
        var values = [Element]()
        values.reserveCapacity(Int(count))
        for _ in 0..<count {
            guard let length = buffer.readInteger(endianness: .big, as: Int32.self), length == width,
                let value = buffer.readInteger(endianness: .big, as: Element.self)
            else { throw PostgresDecodingError.Code.failure }
            values.append(value)
        }
        return values
    }
}
