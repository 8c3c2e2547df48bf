import { OpenStackError } from '@overcast/shared/core';
import { planSubnet, type SubnetRequest } from './subnet-plan';

function refusal(request: SubnetRequest): { status: number; type?: string; message: string } {
  try {
    planSubnet(request, 'sub');
  } catch (error) {
    const fault = error as OpenStackError;
    return { status: fault.status, type: fault.type, message: fault.message };
  }
  throw new Error('the request was accepted');
}

describe('planSubnet', () => {
  it('fills in the first address as gateway and the rest as one pool', () => {
    expect(planSubnet({ ipVersion: 4, cidr: '10.0.0.0/24' }, 'sub')).toMatchObject({
      cidrText: '10.0.0.0/24',
      gatewayIp: '10.0.0.1',
      allocationPools: [{ start: '10.0.0.2', end: '10.0.0.254' }],
    });
  });

  it('splits the default pool around a gateway in the middle, and keeps IPv6 to the last address', () => {
    expect(planSubnet({ ipVersion: 4, cidr: '10.0.0.0/29', gatewayIp: '10.0.0.3' }, 'sub').allocationPools).toEqual([
      { start: '10.0.0.1', end: '10.0.0.2' },
      { start: '10.0.0.4', end: '10.0.0.6' },
    ]);
    expect(planSubnet({ ipVersion: 6, cidr: 'fd00::/126' }, 'sub').allocationPools).toEqual([{ start: 'fd00::2', end: 'fd00::3' }]);
  });

  it('has no gateway when asked for none', () => {
    expect(planSubnet({ ipVersion: 4, cidr: '203.0.113.0/24', gatewayIp: null }, 'sub')).toMatchObject({ gatewayIp: null, allocationPools: [{ start: '203.0.113.1', end: '203.0.113.254' }] });
  });

  it('refuses a CIDR with host bits, of the other family, or not a CIDR', () => {
    expect(refusal({ ipVersion: 4, cidr: '10.0.0.5/24' })).toMatchObject({ status: 400, message: expect.stringContaining("'10.0.0.0/24' is recommended") });
    expect(refusal({ ipVersion: 6, cidr: '10.0.0.0/24' })).toMatchObject({ status: 400, type: 'InvalidInput' });
    expect(refusal({ ipVersion: 4, cidr: '10.0.0.0/33' }).status).toBe(400);
    expect(refusal({ ipVersion: 4, cidr: 'banana' }).status).toBe(400);
  });

  it('refuses a gateway outside the CIDR or on its network address', () => {
    expect(refusal({ ipVersion: 4, cidr: '10.0.0.0/24', gatewayIp: '10.0.1.1' })).toMatchObject({ status: 400, message: 'Invalid input for operation: Gateway is not valid on subnet.' });
    expect(refusal({ ipVersion: 4, cidr: '10.0.0.0/24', gatewayIp: '10.0.0.0' }).status).toBe(400);
  });

  it('refuses overlapping pools, pools beyond the CIDR and a gateway inside a pool', () => {
    const pools = [
      { start: '10.0.0.10', end: '10.0.0.20' },
      { start: '10.0.0.15', end: '10.0.0.30' },
    ];
    expect(refusal({ ipVersion: 4, cidr: '10.0.0.0/24', allocationPools: pools })).toMatchObject({ status: 409, type: 'OverlappingAllocationPools' });
    expect(refusal({ ipVersion: 4, cidr: '10.0.0.0/24', allocationPools: [{ start: '10.0.0.10', end: '10.0.1.5' }] }).status).toBe(400);
    expect(refusal({ ipVersion: 4, cidr: '10.0.0.0/24', allocationPools: [{ start: '10.0.0.20', end: '10.0.0.10' }] }).status).toBe(400);
    expect(refusal({ ipVersion: 4, cidr: '10.0.0.0/24', gatewayIp: '10.0.0.12', allocationPools: pools.slice(0, 1) })).toMatchObject({ status: 409, type: 'GatewayConflictWithAllocationPools' });
  });

  it('refuses bad DNS servers and host routes', () => {
    expect(refusal({ ipVersion: 4, cidr: '10.0.0.0/24', dnsNameservers: ['8.8.8.8', '8.8.8.8'] }).status).toBe(400);
    expect(refusal({ ipVersion: 4, cidr: '10.0.0.0/24', dnsNameservers: ['dns.example'] }).status).toBe(400);
    expect(refusal({ ipVersion: 4, cidr: '10.0.0.0/24', hostRoutes: [{ destination: '10.1.0.1/16', nexthop: '10.0.0.5' }] }).status).toBe(400);
  });
});
