/**
 * Glance's default rules (its secure-RBAC defaults), in oslo.policy syntax, with Overcast's cloud
 * admin (the admin role on the admin project, or system scope) where Glance says `role:admin`.
 * Who may *see* an image (owner, public, community, shared with a member) is the images
 * service's visibility rule, applied in every query; these rules decide what a caller may do.
 * Targets: `owner` (the image's project), `member_id` (a member's project).
 */
export const IMAGE_POLICY: Record<string, string> = {
  admin_required: '(role:admin and is_admin_project:True) or (role:admin and system_scope:all)',
  owner_member: 'role:member and project_id:%(owner)s',
  admin_or_owner_member: 'rule:admin_required or rule:owner_member',

  add_image: 'rule:admin_or_owner_member',
  get_image: 'rule:admin_required or role:reader',
  get_images: 'rule:admin_required or role:reader',
  modify_image: 'rule:admin_or_owner_member',
  delete_image: 'rule:admin_or_owner_member',
  publicize_image: 'rule:admin_required',
  communitize_image: 'rule:admin_or_owner_member',
  /** Glance allows only admins to give an image to another project. */
  set_image_owner: 'rule:admin_required',
  upload_image: 'rule:admin_or_owner_member',
  download_image: 'rule:admin_required or role:reader',
  deactivate: 'rule:admin_or_owner_member',
  reactivate: 'rule:admin_or_owner_member',
  add_member: 'rule:admin_or_owner_member',
  delete_member: 'rule:admin_or_owner_member',
  get_member: 'rule:admin_required or role:reader',
  get_members: 'rule:admin_required or role:reader',
  modify_member: 'rule:admin_required or (role:member and project_id:%(member_id)s)',
  stage_image: 'rule:admin_or_owner_member',
};
