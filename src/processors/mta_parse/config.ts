import { Type, type Static } from '@sinclair/typebox';
import { Strict, StringEnum } from '../../config/types.js';

export const MTAS = ['auto', 'postfix', 'exim', 'opendkim', 'opendmarc', 'policyd-spf', 'dovecot'] as const;

export const MtaParseConfig = Strict({
  mta: StringEnum(MTAS, {
    default: 'auto',
    description: 'Which MTA wrote the lines; auto dispatches on the syslog program name (and Exim main-log shape).',
  }),
  timezone: Type.String({
    default: 'local',
    pattern: '^(local|UTC|[+-]\\d{2}:?\\d{2})$',
    description: 'Time zone of timestamps that carry none (RFC 3164, Exim): local, UTC or an offset like +02:00.',
  }),
  keep_raw: Type.Boolean({ default: false, description: 'Keep the original line in `raw` on every event (always kept on unparsed ones).' }),
});

export type MtaParseConfig = Static<typeof MtaParseConfig>;
