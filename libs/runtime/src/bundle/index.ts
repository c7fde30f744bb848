/** OCI bundle configs: validating container specs, merging them with images, and building config.json. */
export { buildOciConfig, type EtcFilePaths, type OciConfigInput } from "./build-config.js";
export { ALL_CAPABILITIES, DEFAULT_CAPABILITIES, effectiveCapabilities, normalizeCapability } from "./capabilities.js";
export { DEFAULT_MOUNTS, DEVICE_RULES, MASKED_PATHS, READONLY_PATHS, SHM_SIZE_BYTES } from "./docker-defaults.js";
export { containerResolvConf, renderHostnameFile, renderHostsFile, type HostsFileInput } from "./etc-files.js";
export { maxNofileFromProc, type HostFacts } from "./host-facts.js";
export {
  DEFAULT_NETWORK,
  DEFAULT_PATH,
  HEALTHCHECK_DEFAULTS,
  defaultHostname,
  mergeEnv,
  mergeWithImage,
  type EffectiveHealthcheck,
  type EffectiveProcess,
  type MergeOptions,
} from "./merge-image.js";
export type * from "./oci-config.js";
export { OCI_VERSION } from "./oci-config.js";
export { parseGroup, parsePasswd, resolveUser, type ResolvedUser } from "./resolve-user.js";
export { DEFAULT_NOFILE, RLIMIT_NAMES, normalizeRlimitName } from "./rlimits.js";
export { AF_VSOCK, CLONE_NAMESPACE_FLAGS, ENOSYS, EPERM, SAFE_PERSONALITIES, seccompProfile } from "./seccomp.js";
export { SIGRTMAX, SIGRTMIN, parseSignal } from "./signals.js";
export { SYSCALLS, type SyscallClass } from "./syscalls.js";
export {
  CONTAINER_ID_PATTERN,
  MIN_MEMORY_BYTES,
  VOLUME_NAME_PATTERN,
  isValidHostname,
  parseCpuset,
} from "./spec-rules.js";
export { CPU_PERIOD_US, cpuQuota } from "./validate-resources.js";
export { validateSpec } from "./validate-spec.js";
