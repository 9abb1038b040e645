"""history schema: finished service days

Revision ID: 0001
Revises: (none)
Create Date: 2026-12-01 21:10:23.631033
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('archived_days',
    sa.Column('area', sa.String(length=40), nullable=False),
    sa.Column('service_day', sa.Date(), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('checksum', sa.String(length=64), nullable=False),
    sa.Column('counts', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('redis_trimmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('area', 'service_day', name=op.f('pk_archived_days'))
    )
    op.create_table('commands',
    sa.Column('area', sa.String(length=40), nullable=False),
    sa.Column('stream', sa.String(length=20), nullable=False),
    sa.Column('entry_id', sa.String(length=40), nullable=False),
    sa.Column('service_day', sa.Date(), nullable=False),
    sa.Column('op', sa.String(length=20), nullable=False),
    sa.Column('booking_id', sa.String(length=64), nullable=True),
    sa.Column('vehicle_id', sa.String(length=40), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('payload', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.PrimaryKeyConstraint('area', 'stream', 'entry_id', name=op.f('pk_commands'))
    )
    op.create_index('ix_commands_day_area', 'commands', ['service_day', 'area'], unique=False)
    op.create_table('commits',
    sa.Column('area', sa.String(length=40), nullable=False),
    sa.Column('entry_id', sa.String(length=40), nullable=False),
    sa.Column('service_day', sa.Date(), nullable=False),
    sa.Column('writer', sa.String(length=120), nullable=False),
    sa.Column('fence', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('area', 'entry_id', 'service_day', name=op.f('pk_commits'))
    )
    op.create_table('cost_shares',
    sa.Column('area', sa.String(length=40), nullable=False),
    sa.Column('service_day', sa.Date(), nullable=False),
    sa.Column('fleet', sa.String(length=10), nullable=False),
    sa.Column('served_municipality', sa.String(length=10), nullable=False),
    sa.Column('vehicle_km', sa.Float(), nullable=False),
    sa.Column('vehicle_h', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('area', 'service_day', 'fleet', 'served_municipality', name=op.f('pk_cost_shares'))
    )
    op.create_table('executed_stops',
    sa.Column('area', sa.String(length=40), nullable=False),
    sa.Column('service_day', sa.Date(), nullable=False),
    sa.Column('vehicle_id', sa.String(length=40), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('booking_id', sa.String(length=64), nullable=False),
    sa.Column('leg_booking_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('place', sa.String(length=80), nullable=True),
    sa.Column('jis_code', sa.String(length=10), nullable=True),
    sa.Column('promised_earliest_s', sa.Integer(), nullable=False),
    sa.Column('promised_latest_s', sa.Integer(), nullable=False),
    sa.Column('arrival_s', sa.Integer(), nullable=False),
    sa.Column('departure_s', sa.Integer(), nullable=False),
    sa.Column('seats_after', sa.Integer(), nullable=False),
    sa.Column('wheelchairs_after', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('area', 'service_day', 'vehicle_id', 'seq', name=op.f('pk_executed_stops'))
    )
    op.create_table('positions',
    sa.Column('area', sa.String(length=40), nullable=False),
    sa.Column('service_day', sa.Date(), nullable=False),
    sa.Column('vehicle_id', sa.String(length=40), nullable=False),
    sa.Column('at_s', sa.Integer(), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('area', 'service_day', 'vehicle_id', 'at_s', name=op.f('pk_positions'))
    )
    op.create_table('riders',
    sa.Column('rider_key', sa.String(length=64), nullable=False),
    sa.Column('home_municipality', sa.String(length=10), nullable=True),
    sa.Column('fare_class', sa.String(length=20), nullable=False),
    sa.Column('wheelchair', sa.Boolean(), nullable=False),
    sa.Column('name', sa.Text(), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('first_day', sa.Date(), nullable=True),
    sa.PrimaryKeyConstraint('rider_key', name=op.f('pk_riders'))
    )
    op.create_table('shifts',
    sa.Column('area', sa.String(length=40), nullable=False),
    sa.Column('service_day', sa.Date(), nullable=False),
    sa.Column('vehicle_id', sa.String(length=40), nullable=False),
    sa.Column('municipality', sa.String(length=10), nullable=False),
    sa.Column('seats', sa.Integer(), nullable=False),
    sa.Column('wheelchair_places', sa.Integer(), nullable=False),
    sa.Column('planned_start_s', sa.Integer(), nullable=True),
    sa.Column('planned_end_s', sa.Integer(), nullable=True),
    sa.Column('started_s', sa.Integer(), nullable=True),
    sa.Column('ended_s', sa.Integer(), nullable=True),
    sa.Column('vehicle_km', sa.Float(), nullable=False),
    sa.Column('drive_h', sa.Float(), nullable=False),
    sa.Column('stops', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('area', 'service_day', 'vehicle_id', name=op.f('pk_shifts'))
    )
    op.create_table('bookings',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('area', sa.String(length=40), nullable=False),
    sa.Column('service_day', sa.Date(), nullable=False),
    sa.Column('rider_key', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('home_municipality', sa.String(length=10), nullable=True),
    sa.Column('fare_class', sa.String(length=20), nullable=False),
    sa.Column('seats', sa.Integer(), nullable=False),
    sa.Column('wheelchairs', sa.Integer(), nullable=False),
    sa.Column('pickup_place', sa.String(length=80), nullable=True),
    sa.Column('pickup_name', sa.Text(), nullable=True),
    sa.Column('pickup_jis', sa.String(length=10), nullable=True),
    sa.Column('pickup_lat', sa.Float(), nullable=True),
    sa.Column('pickup_lon', sa.Float(), nullable=True),
    sa.Column('dropoff_place', sa.String(length=80), nullable=True),
    sa.Column('dropoff_name', sa.Text(), nullable=True),
    sa.Column('dropoff_jis', sa.String(length=10), nullable=True),
    sa.Column('dropoff_lat', sa.Float(), nullable=True),
    sa.Column('dropoff_lon', sa.Float(), nullable=True),
    sa.Column('requested_time_s', sa.Integer(), nullable=False),
    sa.Column('time_kind', sa.String(length=20), nullable=False),
    sa.Column('vehicle_id', sa.String(length=40), nullable=True),
    sa.Column('promised_pickup_start_s', sa.Integer(), nullable=True),
    sa.Column('promised_pickup_end_s', sa.Integer(), nullable=True),
    sa.Column('expected_pickup_s', sa.Integer(), nullable=True),
    sa.Column('expected_dropoff_s', sa.Integer(), nullable=True),
    sa.Column('picked_up_s', sa.Integer(), nullable=True),
    sa.Column('dropped_off_s', sa.Integer(), nullable=True),
    sa.Column('fare_yen', sa.Integer(), nullable=False),
    sa.Column('rejection_reason', sa.String(length=40), nullable=True),
    sa.Column('rejection_message', sa.Text(), nullable=True),
    sa.Column('cancel_reason', sa.String(length=80), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('booked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['rider_key'], ['riders.rider_key'],
                            name=op.f('fk_bookings_rider_key_riders'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bookings'))
    )
    op.create_index('ix_bookings_day_area', 'bookings', ['service_day', 'area'], unique=False)
    op.create_index('ix_bookings_rider', 'bookings', ['rider_key'], unique=False)
    op.create_table('booking_status_changes',
    sa.Column('booking_id', sa.String(length=64), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('op', sa.String(length=20), nullable=False),
    sa.Column('ok', sa.Boolean(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'],
                            name=op.f('fk_booking_status_changes_booking_id_bookings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('booking_id', 'seq', name=op.f('pk_booking_status_changes'))
    )
    op.create_table('legs',
    sa.Column('booking_id', sa.String(length=64), nullable=False),
    sa.Column('leg_index', sa.Integer(), nullable=False),
    sa.Column('mode', sa.String(length=10), nullable=False),
    sa.Column('origin', sa.Text(), nullable=False),
    sa.Column('destination', sa.Text(), nullable=False),
    sa.Column('origin_place', sa.String(length=80), nullable=True),
    sa.Column('destination_place', sa.String(length=80), nullable=True),
    sa.Column('depart_s', sa.Integer(), nullable=True),
    sa.Column('arrive_s', sa.Integer(), nullable=True),
    sa.Column('leg_booking_id', sa.String(length=64), nullable=True),
    sa.Column('vehicle_id', sa.String(length=40), nullable=True),
    sa.Column('train_id', sa.String(length=40), nullable=True),
    sa.Column('fare_yen', sa.Integer(), nullable=False),
    sa.Column('picked_up_s', sa.Integer(), nullable=True),
    sa.Column('dropped_off_s', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'],
                            name=op.f('fk_legs_booking_id_bookings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('booking_id', 'leg_index', name=op.f('pk_legs'))
    )


def downgrade() -> None:
    op.drop_table('legs')
    op.drop_table('booking_status_changes')
    op.drop_index('ix_bookings_rider', table_name='bookings')
    op.drop_index('ix_bookings_day_area', table_name='bookings')
    op.drop_table('bookings')
    op.drop_table('shifts')
    op.drop_table('riders')
    op.drop_table('positions')
    op.drop_table('executed_stops')
    op.drop_table('cost_shares')
    op.drop_table('commits')
    op.drop_index('ix_commands_day_area', table_name='commands')
    op.drop_table('commands')
    op.drop_table('archived_days')
