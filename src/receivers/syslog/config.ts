// Config of the syslog receiver. One receiver instance = one listener (protocol + address);
// a host that sends over UDP and TCP gets two instances (`syslog/udp`, `syslog/tcp`), as in
// the OTel Collector.
import { Type, type Static } from '@sinclair/typebox';
import { Duration, ListenAddress, Strict, StringEnum } from '../../config/types.js';

export const SyslogTlsConfig = Strict(
  {
    cert_file: Type.String({ minLength: 1, description: 'PEM certificate (chain) of the listener.' }),
    key_file: Type.String({ minLength: 1, description: 'PEM private key of the listener.' }),
    ca_file: Type.String({
      default: '',
      description: 'PEM CA certificate(s) that client certificates must chain to (with client_auth request or require). Empty: the system CAs.',
    }),
    client_auth: StringEnum(['none', 'request', 'require'] as const, {
      default: 'none',
      description:
        'Client certificates: none (not asked), request (asked; a valid one adds tls.client.subject to the lines, an invalid or missing one is accepted), require (connections without a certificate valid for ca_file are refused).',
    }),
    min_version: StringEnum(['TLSv1.2', 'TLSv1.3'] as const, { default: 'TLSv1.2', description: 'Lowest TLS version accepted.' }),
    handshake_timeout: Duration({ default: '10s', description: 'Close connections that have not completed the TLS handshake by then (counted in mailsight_syslog_tls_errors_total).' }),
  },
  { description: 'TLS settings; required with protocol: tls. Files are read at start.' },
);

export const SyslogConfig = Strict(
  {
    protocol: StringEnum(['udp', 'tcp', 'tls'] as const, {
      default: 'tcp',
      description: 'Transport: udp (one message per datagram), tcp, or tls (TCP with TLS, RFC 5425). TCP and TLS detect the framing (octet counting or newline) per connection.',
    }),
    listen: ListenAddress({
      default: '127.0.0.1:5514',
      description: 'Address and port to listen on. Use 0.0.0.0:PORT (or [::]:PORT) to accept other hosts.',
    }),
    format: StringEnum(['auto', 'rfc3164', 'rfc5424'] as const, {
      default: 'auto',
      description:
        'Header format: auto (per message), rfc3164 (never reads `1 ` after the PRI as an RFC 5424 version), rfc5424 (messages without the version are handed on unchanged and counted as not understood).',
    }),
    max_message_bytes: Type.Integer({
      minimum: 480,
      maximum: 16 * 1024 * 1024,
      default: 65536,
      description: 'Longer messages are cut to this many bytes (counted in mailsight_syslog_truncated_total); the rest of the frame is skipped without being buffered.',
    }),
    max_batch: Type.Integer({ minimum: 1, default: 1024, description: 'Messages per emitted batch at most (batches are per connection for TCP/TLS).' }),
    batch_timeout: Duration({ default: '50ms', description: 'Emit a partial batch when no new message completed it for this long.' }),
    max_connections: Type.Integer({
      minimum: 1,
      default: 1024,
      description: 'TCP/TLS connections open at once; further ones are closed on accept (counted in mailsight_syslog_connections_rejected_total{reason="max_connections"}).',
    }),
    max_connections_per_peer: Type.Integer({
      minimum: 0,
      default: 0,
      description: 'TCP/TLS connections open at once from one IP address (0: only max_connections applies).',
    }),
    idle_timeout: Duration({
      default: '0s',
      description: 'Close TCP/TLS connections that sent nothing for this long (0s: never; senders may be quiet for hours, TCP keepalive finds dead peers).',
    }),
    keepalive: Duration({ default: '60s', description: 'TCP keepalive idle time before the first probe (0s: keepalive off); finds half-open connections of crashed senders.' }),
    udp_receive_buffer_bytes: Type.Integer({
      minimum: 0,
      default: 0,
      description:
        'UDP: socket receive buffer (SO_RCVBUF) in bytes; 0 keeps the system default (net.core.rmem_default). Linux caps it at net.core.rmem_max (a warning is logged when it does). Datagrams the kernel dropped are counted in mailsight_syslog_udp_kernel_drops_total.',
    }),
    udp_queue_size: Type.Integer({
      minimum: 1,
      default: 10_000,
      description: 'UDP: messages held while the pipeline is busy (UDP cannot push back); beyond it messages are dropped and counted in mailsight_items_dropped_total.',
    }),
    tls: Type.Optional(SyslogTlsConfig),
  },
  {
    description: 'Receives syslog over UDP, TCP or TLS (RFC 3164 and RFC 5424, RFC 6587 framing) and emits the lines for mta_parse.',
    // The TLS settings are required exactly when the protocol is tls.
    allOf: [
      { if: { properties: { protocol: { const: 'tls' } }, required: ['protocol'] }, then: { required: ['tls'] } },
    ],
  },
);

export type SyslogConfig = Static<typeof SyslogConfig>;
export type SyslogTlsConfig = Static<typeof SyslogTlsConfig>;
