// The suites that each start a one-node cluster of real processes on this host run here, one after the other:
// two agents on one host would both open the overlay's VXLAN port (4789) for the same network id and one of
// them would fail, which a real node never meets (it runs one agent).
import "./one-node-suite.js";
import "./dashboard-suite.js";
