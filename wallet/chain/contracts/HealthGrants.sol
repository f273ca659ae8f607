// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Health Wallet grants
/// @notice Time-limited, revocable grants of an encrypted health-record share from a
/// patient to a doctor, the doctors' access log, the wallets' encryption keys and a
/// pointer to each wallet's latest backup.
///
/// Storage keeps only what the contract must check, one slot per grant:
///
///     bits   0..159  patient (the only address that may revoke)
///     bits 160..223  expiresAt (unix seconds; active while block.timestamp < expiresAt)
///     bit  224       revoked
///
/// The grantee is the high 160 bits of the grant id (the low 96 bits are random), so
/// `recordAccess` checks the caller against the id itself, with no second slot. The
/// CID and the wrapped content key travel only in the indexed `Granted` event. Every
/// grant event indexes (id, patient, grantee) in that order, so one log query finds a
/// wallet's grants from either side.
///
/// Grant ids are chosen by the patient's wallet. Someone watching pending transactions
/// could take an id first; the patient's grant then fails with `GrantExists` and the
/// wallet retries with a fresh id. Nothing of a grant can be overwritten or reused.
contract HealthGrants {
    uint256 private constant _EXPIRY_SHIFT = 160;
    uint256 private constant _REVOKED_BIT = 1 << 224;

    /// @notice The block this contract was deployed in: where event scans start.
    uint256 public immutable deployedBlock;

    mapping(bytes32 id => uint256 packed) private _grants;

    /// @notice The X25519 public key each wallet published, zero if none.
    mapping(address owner => bytes32 key) public encryptionKeyOf;

    event KeyRegistered(address indexed owner, bytes32 key);
    event Granted(
        bytes32 indexed id,
        address indexed patient,
        address indexed grantee,
        string cid,
        bytes wrappedKey,
        uint64 expiresAt
    );
    event Revoked(bytes32 indexed id, address indexed patient, address indexed grantee);
    event Accessed(bytes32 indexed id, address indexed patient, address indexed grantee);
    event Backup(address indexed owner, string cid);

    error InvalidKey();
    error EmptyCid();
    error GranteeMismatch(bytes32 id, address grantee);
    error ExpiryNotInFuture(uint64 expiresAt, uint256 blockTime);
    error GrantExists(bytes32 id);
    error UnknownGrant(bytes32 id);
    error NotPatient(bytes32 id, address caller);
    error AlreadyRevoked(bytes32 id);
    error NotGrantee(bytes32 id, address caller);
    error GrantNotActive(bytes32 id);

    constructor() {
        deployedBlock = block.number;
    }

    /// @notice Publish (or replace) the caller's X25519 encryption public key.
    function registerKey(bytes32 key) external {
        if (key == bytes32(0)) revert InvalidKey();
        encryptionKeyOf[msg.sender] = key;
        emit KeyRegistered(msg.sender, key);
    }

    /// @notice Grant `grantee` access to the share at `cid` until `expiresAt`.
    /// @param id the grantee's address in the high 160 bits, 96 random bits below.
    function grant(
        bytes32 id,
        address grantee,
        string calldata cid,
        bytes calldata wrappedKey,
        uint64 expiresAt
    ) external {
        if (grantee == address(0) || address(bytes20(id)) != grantee) revert GranteeMismatch(id, grantee);
        if (expiresAt <= block.timestamp) revert ExpiryNotInFuture(expiresAt, block.timestamp);
        if (bytes(cid).length == 0) revert EmptyCid();
        if (_grants[id] != 0) revert GrantExists(id);
        _grants[id] = uint256(uint160(msg.sender)) | (uint256(expiresAt) << _EXPIRY_SHIFT);
        emit Granted(id, msg.sender, grantee, cid, wrappedKey, expiresAt);
    }

    /// @notice Revoke a grant; only the patient who issued it may.
    function revoke(bytes32 id) external {
        uint256 g = _grants[id];
        if (g == 0) revert UnknownGrant(id);
        if (address(uint160(g)) != msg.sender) revert NotPatient(id, msg.sender);
        if (g & _REVOKED_BIT != 0) revert AlreadyRevoked(id);
        _grants[id] = g | _REVOKED_BIT;
        emit Revoked(id, msg.sender, address(bytes20(id)));
    }

    /// @notice True while the grant exists, is not revoked and has not expired.
    function isActive(bytes32 id) external view returns (bool) {
        return _isActive(_grants[id]);
    }

    /// @notice Log that the grantee opened the share; only the grantee, only while active.
    function recordAccess(bytes32 id) external {
        if (address(bytes20(id)) != msg.sender) revert NotGrantee(id, msg.sender);
        uint256 g = _grants[id];
        if (!_isActive(g)) revert GrantNotActive(id);
        emit Accessed(id, address(uint160(g)), msg.sender);
    }

    /// @notice The stored terms of a grant; all zero for an unknown id.
    function grantOf(bytes32 id)
        external
        view
        returns (address patient, address grantee, uint64 expiresAt, bool revoked)
    {
        uint256 g = _grants[id];
        if (g == 0) return (address(0), address(0), 0, false);
        return (address(uint160(g)), address(bytes20(id)), uint64(g >> _EXPIRY_SHIFT), g & _REVOKED_BIT != 0);
    }

    /// @notice Point at the caller's latest encrypted backup.
    function publishBackup(string calldata cid) external {
        if (bytes(cid).length == 0) revert EmptyCid();
        emit Backup(msg.sender, cid);
    }

    function _isActive(uint256 g) private view returns (bool) {
        return g != 0 && g & _REVOKED_BIT == 0 && block.timestamp < uint64(g >> _EXPIRY_SHIFT);
    }
}
