// Any bytes through the whitelisting pickle machine.
import ConFiTIO
import FuzzSupport

fuzz { bytes in _ = try? PickleMachine.load(bytes) }
