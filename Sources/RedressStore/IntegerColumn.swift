import NIOCore
import PostgresNIO

/// An `integer[]` or `bigint[]` column of one dimension without NULLs, decoded straight from the
/// wire. PostgresNIO's generic array decoding instantiates each element's decoder through generic
/// metadata, which made reading a platform's year of response seconds (tens of thousands of values)
/// cost more service CPU than PostgreSQL spent finding them; counters read as one array per row
/// instead of a column each save the same per cell.
struct IntegerColumn<Element: FixedWidthInteger & Sendable>: PostgresDecodable, Sendable {
    var values: [Element]

    init<JSONDecoder: PostgresJSONDecoder>(
        from buffer: inout ByteBuffer, type: PostgresDataType, format: PostgresFormat, context: PostgresDecodingContext<JSONDecoder>
    ) throws {
        let (arrayType, elementType): (PostgresDataType, PostgresDataType) =
            switch MemoryLayout<Element>.size {
            case 4: (.int4Array, .int4)
            case 8: (.int8Array, .int8)
            default: throw PostgresDecodingError.Code.typeMismatch
            }
        guard format == .binary, type == arrayType,
            let (dimensions, hasNulls, element) = buffer.readMultipleIntegers(endianness: .big, as: (Int32, Int32, UInt32).self),
            hasNulls == 0, element == elementType.rawValue, dimensions == 0 || dimensions == 1
        else { throw PostgresDecodingError.Code.failure }
        guard dimensions == 1 else {
            values = []
            return
        }
        let width = MemoryLayout<Element>.size
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
        self.values = values
    }
}
