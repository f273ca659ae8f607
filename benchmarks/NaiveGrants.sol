// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @notice The straightforward version the gas benchmark compares against: one
/// four-slot struct per grant, the share's CID and wrapped key in the event as in
/// HealthGrants, string reasons instead of custom errors.
contract NaiveGrants {
    struct Grant {
        address patient;
        address grantee;
        uint256 expiresAt;
        bool active;
    }

    mapping(bytes32 => Grant) public grants;
    mapping(address => bytes) public encryptionKeyOf;

    event KeyRegistered(address indexed owner, bytes key);
    event Granted(bytes32 indexed id, address indexed patient, address indexed grantee, string cid, bytes wrappedKey, uint256 expiresAt);
    event Revoked(bytes32 indexed id);
    event Accessed(bytes32 indexed id, address indexed grantee);

    function registerKey(bytes calldata key) external {
        require(key.length == 32, "key must be 32 bytes");
        encryptionKeyOf[msg.sender] = key;
        emit KeyRegistered(msg.sender, key);
    }

    function grant(bytes32 id, address grantee, string calldata cid, bytes calldata wrappedKey, uint256 expiresAt) external {
        require(grants[id].patient == address(0), "grant exists");
        require(expiresAt > block.timestamp, "expiry in the past");
        grants[id] = Grant(msg.sender, grantee, expiresAt, true);
        emit Granted(id, msg.sender, grantee, cid, wrappedKey, expiresAt);
    }

    function revoke(bytes32 id) external {
        require(grants[id].patient == msg.sender, "only the patient");
        require(grants[id].active, "already revoked");
        grants[id].active = false;
        emit Revoked(id);
    }

    function isActive(bytes32 id) public view returns (bool) {
        Grant storage g = grants[id];
        return g.active && block.timestamp < g.expiresAt;
    }

    function recordAccess(bytes32 id) external {
        require(grants[id].grantee == msg.sender, "only the grantee");
        require(isActive(id), "grant not active");
        emit Accessed(id, msg.sender);
    }
}
