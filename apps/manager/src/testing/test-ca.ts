/**
 * The test cluster's CA (cluster id "c1", made once with `createRootCa`): a real root, so the fixtures' join
 * tokens carry a real digest and joins in tests get certificates. Its key is a test key, published here on
 * purpose: nothing outside tests may trust this root.
 */
export const TEST_CA = {
  cert: "-----BEGIN CERTIFICATE-----\nMIIBsjCCAVigAwIBAgIQJ9zKfkoqu+CIbtOZxHD5xjAKBggqhkjOPQQDAjAnMQsw\nCQYDVQQKEwJjMTEYMBYGA1UEAxMPU2hvYWwgcm9vdCBDQSAxMB4XDTI1MTIzMTIz\nMDAwMFoXDTQ1MTIyNzAwMDAwMFowJzELMAkGA1UEChMCYzExGDAWBgNVBAMTD1No\nb2FsIHJvb3QgQ0EgMTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABGHABeDvi2kO\nvcopU/Q/pcW0fBM/aTx0GbuqJZhsrTxiMEweRi82JPKbfsFX7GgBknCBkBigVPsg\nAh7ITBaumbKjZjBkMBIGA1UdEwEB/wQIMAYBAf8CAQEwDgYDVR0PAQH/BAQDAgEG\nMB0GA1UdDgQWBBQ+EMIJcTuX4iMFZO1NQVB/gyOA9jAfBgNVHSMEGDAWgBQ+EMIJ\ncTuX4iMFZO1NQVB/gyOA9jAKBggqhkjOPQQDAgNIADBFAiEAs3YDsn7kmg/q9jhr\nBT5TIfEzm+tITx6xHn/OE0A9F6gCIEIFcg3/iBg9V4bQd2BebznQE2Xp89oN2TSV\n+c0roXfG\n-----END CERTIFICATE-----\n",
  key: "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgjiDVFGNywRnoaRBU\ndhrpKqDrEii6Q46LWGd/kg+wRs2hRANCAARhwAXg74tpDr3KKVP0P6XFtHwTP2k8\ndBm7qiWYbK08YjBMHkYvNiTym37BV+xoAZJwgZAYoFT7IAIeyEwWrpmy\n-----END PRIVATE KEY-----\n",
} as const;
