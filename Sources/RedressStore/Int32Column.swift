import NIOCore
import PostgresNIO

/// An `integer[]` column of one dimension without NULLs, decoded straight from the wire. PostgresNIO's
/// generic array decoding instantiates each element's decoder through generic metadata, which made
/// reading a platform's year of response seconds (tens of thousands of values) cost more service
/// CPU than PostgreSQL spent finding them.
struct Int32Column: PostgresDecodable {
    var values: [Int32]

    init<JSONDecoder: PostgresJSONDecoder>(
        from buffer: inout ByteBuffer, type: PostgresDataType, format: PostgresFormat, context: PostgresDecodingContext<JSONDecoder>
    ) throws {
        guard format == .binary, type == .int4Array,
            let (dimensions, hasNulls, element) = buffer.readMultipleIntegers(endianness: .big, as: (Int32, Int32, UInt32).self),
            hasNulls == 0, element == PostgresDataType.int4.rawValue, dimensions == 0 || dimensions == 1
        else { throw PostgresDecodingError.Code.failure }
        guard dimensions == 1 else {
            values = []
            return
        }
        guard let (count, _) = buffer.readMultipleIntegers(endianness: .big, as: (Int32, Int32).self), count >= 0,
            buffer.readableBytes == Int(count) * 8
        else { throw PostgresDecodingError.Code.failure }
        var values = [Int32]()
        values.reserveCapacity(Int(count))
        for _ in 0..<count {
            guard let (length, value) = buffer.readMultipleIntegers(endianness: .big, as: (Int32, Int32).self), length == 4 else {
                throw PostgresDecodingError.Code.failure
            }
            values.append(value)
        }
        self.values = values
    }
}
