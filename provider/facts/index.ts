// Every read of a host that resources plan with: one command plus one pure parser each (see fact.ts).
export { gather, gatherAll, scriptFact, type Fact } from "./fact";
export {
    loadedModule,
    moduleBuild,
    otherWsgiLoads,
    parseLoad,
    parseModuleBuild,
    parseWsgiLoads,
    type LoadedModule,
    type ModuleBuild,
} from "./module";
export { parsePythonInfo, parseVenv, venvState, type PythonInfo, type VenvState } from "./python";
export {
    daemonGroupFile,
    daemonHome,
    daemonUser,
    fileText,
    hostFacts,
    ownedBy,
    listenPorts,
    parseDaemonHome,
    parseDaemonUser,
    parseOwner,
    parseListenPorts,
    parseProbe,
    type HostFacts,
} from "./apache";
