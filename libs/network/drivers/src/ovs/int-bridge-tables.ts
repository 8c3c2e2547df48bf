/**
 * The pipeline of the integration bridge. A frame enters at `classify`, which says which port or
 * uplink it came from; frames of filtered ports pass `egress*`; `forward` hands a frame for a
 * filtered port to `ingress*` and everything else to the switch's own MAC learning (NORMAL).
 * OpenFlow's goto_table only goes forward, hence this order.
 */
export const IntTable = {
  classify: 0,
  /** Anti-spoofing, then into conntrack. */
  egress: 10,
  /** Established and related connections pass, invalid ones drop, new ones go to the rules. */
  egressState: 11,
  /** The security group rules; a match commits the connection. */
  egressRules: 12,
  forward: 20,
  ingress: 30,
  ingressState: 31,
  ingressRules: 32,
} as const;
