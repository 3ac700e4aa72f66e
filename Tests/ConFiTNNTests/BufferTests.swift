import ConFiTEngine
import Testing

@testable import ConFiTNN

/// A layer's buffer is allocated for the largest batch asked for, and smaller batches of the
/// same images view its first images rather than allocating again.
@Suite struct BufferTests {
    @Test func smallerBatchesOfTheSameImagesShareTheLargestStorage() {
        var buffer = Buffer()
        let full = buffer.get([4, 20, 3, 3], .blocked16)
        #expect(buffer.get([4, 20, 3, 3], .blocked16) === full, "the same shape: the same tensor")
        let partial = buffer.get([3, 20, 3, 3], .blocked16)
        #expect(partial.shape == [3, 20, 3, 3])
        #expect(partial.pointer == full.pointer, "a partial batch is a view of the full one")
        #expect(
            buffer.get([4, 20, 3, 3], .blocked16).pointer == full.pointer, "back to the full batch: no new storage")
        let larger = buffer.get([8, 20, 3, 3], .blocked16)
        #expect(larger.pointer != full.pointer, "a larger batch allocates")
        #expect(buffer.get([4, 20, 3, 3], .blocked16).pointer == larger.pointer, "and is then the storage viewed")
        #expect(buffer.get([2, 20, 4, 4], .blocked16).pointer != larger.pointer, "other images allocate")
        #expect(buffer.get([2, 20, 4, 4], .plain).pointer != larger.pointer, "so does another layout")
    }
}
