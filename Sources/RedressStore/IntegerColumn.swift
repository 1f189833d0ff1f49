import NIOCore
import PostgresNIO

/// `integer[]` and `bigint[]` columns of one dimension without NULLs, decoded straight from the
/// wire. PostgresNIO's generic array decoding instantiates each element's decoder through generic
/// metadata, which made reading a platform's year of response seconds (tens of thousands of values)
/// cost more service CPU than PostgreSQL spent finding them; counters read as one array per row
/// instead of a column each save the same per cell. Two concrete types, not one generic: an
/// unspecialised generic loop was as slow as the decoder it replaces.
struct Int32Column: PostgresDecodable, Sendable {
    var values: [Int32]

    init<JSONDecoder: PostgresJSONDecoder>(
        from buffer: inout ByteBuffer, type: PostgresDataType, format: PostgresFormat, context: PostgresDecodingContext<JSONDecoder>
    ) throws {
        let count = try IntegerArrayWire.count(in: &buffer, type: type, format: format, array: .int4Array, element: .int4, width: 4)
        var values = [Int32]()
        values.reserveCapacity(count)
        for _ in 0..<count {
            guard let (length, value) = buffer.readMultipleIntegers(endianness: .big, as: (Int32, Int32).self), length == 4 else {
                throw PostgresDecodingError.Code.failure
            }
            values.append(value)
        }
        self.values = values
    }
}

struct Int64Column: PostgresDecodable, Sendable {
    var values: [Int64]

    init<JSONDecoder: PostgresJSONDecoder>(
        from buffer: inout ByteBuffer, type: PostgresDataType, format: PostgresFormat, context: PostgresDecodingContext<JSONDecoder>
    ) throws {
        let count = try IntegerArrayWire.count(in: &buffer, type: type, format: format, array: .int8Array, element: .int8, width: 8)
        var values = [Int64]()
        values.reserveCapacity(count)
        for _ in 0..<count {
            guard let (length, value) = buffer.readMultipleIntegers(endianness: .big, as: (Int32, Int64).self), length == 8 else {
                throw PostgresDecodingError.Code.failure
            }
            values.append(value)
        }
        self.values = values
    }
}

private enum IntegerArrayWire {
    /// Reads the array's header and returns its number of elements, having checked that exactly that
    /// many elements of `width` bytes (each after its length) follow.
    static func count(
        in buffer: inout ByteBuffer, type: PostgresDataType, format: PostgresFormat, array: PostgresDataType, element: PostgresDataType,
        width: Int
    ) throws -> Int {
        guard format == .binary, type == array,
            let (dimensions, hasNulls, elementType) = buffer.readMultipleIntegers(endianness: .big, as: (Int32, Int32, UInt32).self),
            hasNulls == 0, elementType == element.rawValue, dimensions == 0 || dimensions == 1
        else { throw PostgresDecodingError.Code.failure }
        guard dimensions == 1 else { return 0 }
        guard let (count, _) = buffer.readMultipleIntegers(endianness: .big, as: (Int32, Int32).self), count >= 0,
            buffer.readableBytes == Int(count) * (4 + width)
        else { throw PostgresDecodingError.Code.failure }
        return Int(count)
    }
}
