import ArgumentParser
import RedressAPI
import RedressStore
@main struct RedressCommand: AsyncParsableCommand { func run() async throws { print(StoreP.url() as Any, APIP.url() as Any) } }
