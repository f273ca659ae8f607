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
///
/// Signed grants (EIP-712, domain "HealthGrants" version "2" with the chain id and this
/// contract's address): the patient signs `Grant` or `Revoke` with a key of its own for
/// each grant and anyone may submit it, so the patient needs no ETH. The signer's
/// address becomes the grant's patient, and a signed grant's id ends with the last 12
/// bytes of that address: only the grant's own key can grant or burn its id. A `Revoke`
/// for an id that was never granted burns it (stored revoked, expiry 0), so the signed
/// grant can never be submitted afterwards.
///
/// The contract is deployed through the deterministic-deployment proxy (CREATE2) with a
/// fixed salt, so it has one address on every chain. Its runtime code must then be the
/// same everywhere: nothing chain-specific is immutable (`deployedBlock` is storage and
/// the EIP-712 domain separator is computed per call).
contract HealthGrants {
    uint256 private constant _EXPIRY_SHIFT = 160;
    uint256 private constant _REVOKED_BIT = 1 << 224;
    uint256 private constant _HALF_ORDER = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;

    bytes32 private constant _DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 private constant _NAME_HASH = keccak256("HealthGrants");
    bytes32 private constant _VERSION_HASH = keccak256("2");
    bytes32 private constant _GRANT_TYPEHASH =
        keccak256("Grant(bytes32 id,string cid,bytes wrappedKey,uint64 expiresAt)");
    bytes32 private constant _REVOKE_TYPEHASH = keccak256("Revoke(bytes32 id)");

    mapping(bytes32 id => uint256 packed) private _grants;

    /// @notice The X25519 public key each wallet published, zero if none.
    mapping(address owner => bytes32 key) public encryptionKeyOf;

    /// @notice The block this contract was deployed in: where event scans start.
    uint256 public deployedBlock;

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
    error BadSignature(bytes32 id);
    error GrantBurned(bytes32 id);

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

    /// @notice Submit a grant the patient signed (EIP-712 `Grant`); anyone may, and pays.
    /// @dev The signer (the per-grant patient key) is stored as the grant's patient.
    function grantBySig(
        bytes32 id,
        string calldata cid,
        bytes calldata wrappedKey,
        uint64 expiresAt,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external {
        address patient = _grantBySig(id, cid, wrappedKey, expiresAt, v, r, s);
        emit Granted(id, patient, address(bytes20(id)), cid, wrappedKey, expiresAt);
    }

    /// @notice The grantee submits a signed grant and logs its first access in one transaction.
    function grantBySigAndRecordAccess(
        bytes32 id,
        string calldata cid,
        bytes calldata wrappedKey,
        uint64 expiresAt,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external {
        if (address(bytes20(id)) != msg.sender) revert NotGrantee(id, msg.sender);
        address patient = _grantBySig(id, cid, wrappedKey, expiresAt, v, r, s);
        emit Granted(id, patient, msg.sender, cid, wrappedKey, expiresAt);
        emit Accessed(id, patient, msg.sender);
    }

    /// @notice Revoke with the patient's EIP-712 `Revoke` signature; anyone may submit it.
    /// An id that was never granted is burned: its own key signed, and it can never be granted.
    function revokeBySig(bytes32 id, uint8 v, bytes32 r, bytes32 s) external {
        address signer = _recover(keccak256(abi.encode(_REVOKE_TYPEHASH, id)), v, r, s);
        uint256 g = _grants[id];
        if (g == 0) {
            if (signer == address(0) || uint96(uint256(id)) != uint96(uint160(signer))) revert BadSignature(id);
            _grants[id] = uint256(uint160(signer)) | _REVOKED_BIT;
        } else {
            if (signer == address(0) || address(uint160(g)) != signer) revert BadSignature(id);
            if (g & _REVOKED_BIT != 0) revert AlreadyRevoked(id);
            _grants[id] = g | _REVOKED_BIT;
        }
        emit Revoked(id, signer, address(bytes20(id)));
    }

    /// @notice The EIP-712 domain separator on this chain.
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparator();
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

    function _grantBySig(
        bytes32 id,
        string calldata cid,
        bytes calldata wrappedKey,
        uint64 expiresAt,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) private returns (address patient) {
        if (expiresAt <= block.timestamp) revert ExpiryNotInFuture(expiresAt, block.timestamp);
        if (bytes(cid).length == 0) revert EmptyCid();
        patient = _recover(
            keccak256(abi.encode(_GRANT_TYPEHASH, id, keccak256(bytes(cid)), keccak256(wrappedKey), expiresAt)),
            v, r, s
        );
        if (patient == address(0) || uint96(uint256(id)) != uint96(uint160(patient))) revert BadSignature(id);
        uint256 g = _grants[id];
        if (g != 0) {
            if (uint64(g >> _EXPIRY_SHIFT) == 0) revert GrantBurned(id);
            revert GrantExists(id);
        }
        _grants[id] = uint256(uint160(patient)) | (uint256(expiresAt) << _EXPIRY_SHIFT);
    }

    function _domainSeparator() private view returns (bytes32) {
        return keccak256(abi.encode(_DOMAIN_TYPEHASH, _NAME_HASH, _VERSION_HASH, block.chainid, address(this)));
    }

    /// @dev The signer of an EIP-712 struct hash; zero for an invalid or malleable signature.
    function _recover(bytes32 structHash, uint8 v, bytes32 r, bytes32 s) private view returns (address) {
        if (uint256(s) > _HALF_ORDER) return address(0);
        bytes32 digest = keccak256(abi.encodePacked("\x19\x01", _domainSeparator(), structHash));
        return ecrecover(digest, v, r, s);
    }

    function _isActive(uint256 g) private view returns (bool) {
        return g != 0 && g & _REVOKED_BIT == 0 && block.timestamp < uint64(g >> _EXPIRY_SHIFT);
    }
}
