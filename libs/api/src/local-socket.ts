/**
 * The base URL of requests on a manager's local socket (`<runDir>/manager.sock`): the socket, not this name,
 * says where they go.
 */
export const LOCAL_SOCKET_BASE = "http://localhost";
