/** Test helpers of @shoal/runtime: the in-memory executor and fixtures. */
export {};
