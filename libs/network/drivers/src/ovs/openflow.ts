/**
 * Flows as `ovs-ofctl` text for OpenFlow 1.5 (bundles, which make replace-flows atomic, need 1.4+),
 * with the actions 1.5 has (push_vlan and set_field rather than mod_vlan_vid), so that a flow read
 * back from the switch compares equal and replace-flows leaves an unchanged flow alone.
 */
export function flow(table: number, priority: number, match: readonly string[], actions: readonly string[]): string {
  return [`table=${table}`, `priority=${priority}`, ...match, `actions=${actions.join(',')}`].join(',');
}

export const DROP = ['drop'] as const;

export function gotoTable(table: number): string {
  return `goto_table:${table}`;
}

/** Sets the VLAN id of a frame that has a VLAN header (OpenFlow's VID carries the "present" bit). */
export function setVlan(vlan: number): string {
  return `set_field:${0x1000 | vlan}->vlan_vid`;
}

/** Gives an untagged frame a VLAN header with `vlan`. */
export function pushVlan(vlan: number): string[] {
  return ['push_vlan:0x8100', setVlan(vlan)];
}

export const POP_VLAN = 'pop_vlan';

/** Frames without a VLAN header. */
export const UNTAGGED = 'vlan_tci=0x0000/0x1fff';
/** Frames with one; OpenFlow 1.5 takes pop_vlan only after a match like this. */
export const TAGGED = 'vlan_tci=0x1000/0x1000';

/**
 * reg5: the OpenFlow port of the port being filtered, in both directions; it is also that port's
 * conntrack zone, so a connection between two ports of one host is tracked once per port.
 */
export const PORT_REGISTER = 'reg5';
export const PORT_ZONE = 'zone=NXM_NX_REG5[0..15]';
export const OUTPUT_TO_PORT_REGISTER = 'output:NXM_NX_REG5[]';
/** reg6: the local VLAN the frame belongs to, set where it enters br-int. */
export const VLAN_REGISTER = 'reg6';

export function setRegister(register: string, value: number): string {
  return `set_field:${value}->${register}`;
}

export function inPort(ofport: number): string {
  return `in_port=${ofport}`;
}
